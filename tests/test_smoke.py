def test_home_page_names_the_release(client, release):
    response = client.get("/")
    assert response.status_code == 200
    assert release.version in response.get_data(as_text=True)


def test_live_server_answers_over_http(live_server):
    import requests

    response = requests.get(live_server.url + "/", timeout=10)
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
