from partners.access import can_import, is_manager, is_partner_user, role, sees_all_partners


def role_flags(request) -> dict:
    """What the navigation may offer, as partners.access decides it."""
    user = request.user
    return {
        "role": role(user),
        "is_manager": is_manager(user),
        "is_partner_user": is_partner_user(user),
        "can_import": can_import(user),
        "sees_all_partners": sees_all_partners(user),
    }
