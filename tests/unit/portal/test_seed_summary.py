"""What the README and `make run` say about the seeded catalogue is what the seed holds."""

from pathlib import Path

from portal.onboarding import seed_ministries, seed_services, seed_summary

README = Path(__file__).parents[3] / "README.md"


def test_the_readme_counts_the_ministries_and_services_the_seed_holds() -> None:
    ministries = seed_ministries()
    services = sum(len(seed_services(m["code"])) for m in ministries)
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"({len(ministries)} ministries, {services} services" in text
    assert seed_summary() == f"{len(ministries)} ministries and {services} services"
