// The node-link graph of a CONSTRUCT or DESCRIBE answer (the workbench, a canned query's page): the nodes
// and links the server wrote into <script id="graph-data"> (workbench.graph_data), drawn with the vendored
// d3-force, d3-zoom and d3-drag (static/vendor/d3/) as SVG in #graph-canvas. Each resource is a link to its
// page (keyboard-reachable), each literal a node of its own; drag a node, wheel or pinch to zoom, drag the
// background to pan. The table under it holds the same statements, for readers without JavaScript.
(function () {
  "use strict";
  var canvas = document.getElementById("graph-canvas");
  var source = document.getElementById("graph-data");
  if (!canvas || !source || !window.d3) return;
  var d3 = window.d3;
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  var SVG = "http://www.w3.org/2000/svg";
  var width = canvas.clientWidth || 640;
  var height = canvas.clientHeight || 480;
  var svg = d3.select(canvas).append("svg")
    .attr("viewBox", [-width / 2, -height / 2, width, height].join(" "))
    .attr("role", "img")
    .attr("aria-label", canvas.dataset.label || "graph");
  var layer = svg.append("g");
  var nodes = data.nodes.map(function (n) { return Object.assign({}, n); });
  var links = data.links.map(function (l) { return Object.assign({}, l); });

  function short(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  var edge = layer.append("g").selectAll("g").data(links).join("g");
  var line = edge.append("line");
  var edgeText = edge.append("text").attr("class", "edge").attr("text-anchor", "middle").text(function (l) { return short(l.label, 24); });
  edge.append("title").text(function (l) { return l.iri; });

  var node = layer.append("g").selectAll("g").data(nodes).join(function (enter) {
    return enter.append(function (n) { return document.createElementNS(SVG, n.href ? "a" : "g"); });
  });
  node.filter(function (n) { return n.href; }).attr("href", function (n) { return n.href; });
  node.append("circle").attr("r", function (n) { return n.kind === "literal" ? 4 : 7; }).attr("class", function (n) { return n.kind; });
  node.append("text").attr("x", 9).attr("y", 4).text(function (n) { return short(n.label, 30); });
  node.append("title").text(function (n) { return n.iri ? n.label + "\n" + n.iri : n.label; });

  var simulation = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).id(function (n) { return n.id; }).distance(function (l) { return l.target.kind === "literal" ? 50 : 90; }))
    .force("charge", d3.forceManyBody().strength(-220))
    .force("collide", d3.forceCollide(18))
    .force("x", d3.forceX())
    .force("y", d3.forceY())
    .on("tick", function () {
      line.attr("x1", function (l) { return l.source.x; }).attr("y1", function (l) { return l.source.y; })
        .attr("x2", function (l) { return l.target.x; }).attr("y2", function (l) { return l.target.y; });
      edgeText.attr("x", function (l) { return (l.source.x + l.target.x) / 2; })
        .attr("y", function (l) { return (l.source.y + l.target.y) / 2; });
      node.attr("transform", function (n) { return "translate(" + n.x + "," + n.y + ")"; });
    });

  node.call(d3.drag()
    .on("start", function (event, n) { if (!event.active) simulation.alphaTarget(0.3).restart(); n.fx = n.x; n.fy = n.y; })
    .on("drag", function (event, n) { n.fx = event.x; n.fy = event.y; })
    .on("end", function (event, n) { if (!event.active) simulation.alphaTarget(0); n.fx = null; n.fy = null; }));
  svg.call(d3.zoom().scaleExtent([0.2, 5]).on("zoom", function (event) { layer.attr("transform", event.transform); }));
  canvas.dataset.drawn = String(nodes.length);
})();
