def test_world_moves_to_approved(world):
    application = world.approved()
    assert application.state == "authority_approved"
    assert len(application.practice_certificate_code) == 15
