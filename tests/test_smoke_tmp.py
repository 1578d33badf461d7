from clinic.roles import Role


def test_login_works(client, login_as):
    login_as(Role.ADMIN)
    r = client.get("/dashboard")
    assert r.status_code == 200
    assert "Staff" in r.get_data(as_text=True)
