"""Factories for what tests need, named create_*."""

from shared.auth import Identity


def create_citizen(national_id: str = "12345678", name: str = "Aisha Al-Balushi", lang: str = "ar") -> Identity:
    return Identity(subject=national_id, role="citizen", name=name, lang=lang)


def create_ministry_identity(code: str = "rop") -> Identity:
    return Identity(subject=code, role="ministry", ministry=code)


def create_admin() -> Identity:
    return Identity(subject="staff-1", role="admin", name="Portal staff")
