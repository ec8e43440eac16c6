from partners.access import is_manager, portal_partner_id


def role(request) -> dict:
    user = request.user
    return {
        "is_manager": is_manager(user),
        "is_partner_user": portal_partner_id(user) is not None,
    }
