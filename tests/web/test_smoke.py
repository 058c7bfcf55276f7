from tests.support.web import sign_in


def test_sign_in_then_inbox(client, started):
    assert sign_in(client, "fd").status_code == 302
    page = client.get("/inbox")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Triage the contact" in page.get_data(as_text=True)
