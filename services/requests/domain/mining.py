"""Mining the next-service patterns (domain/patterns.py says what they are) from completed requests, with numpy.
No I/O. Only learning (services/requests/learning, a process of its own) imports this: the serving process never
loads numpy."""

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from services.requests.domain.patterns import MIN_CITIZENS, WINDOW_DAYS, Pattern

# How many later requests of the same citizen are paired with each one: a citizen filing hundreds of requests
# (an agent for a company) would otherwise cost quadratic time and weigh nothing more in distinct citizens.
LOOKAHEAD = 30
# A pair at or near lift 1 is two popular services met by chance, not a path people take.
MIN_LIFT = 1.2

Ints = npt.NDArray[np.int64]


def mine(citizen: Ints, service: Ints, seconds: Ints, services: Sequence[str], *,
         window_days: int = WINDOW_DAYS, min_citizens: int = MIN_CITIZENS,
         sensitive: Iterable[str] = (), min_lift: float = MIN_LIFT) -> list[Pattern]:
    """Patterns from completed requests given as equal arrays (citizen number, service index into `services`,
    time in seconds), strongest first. A pair below `min_citizens` distinct citizens, with lift at or under
    `min_lift`, or led by a sensitive service is not kept at all."""
    n_services = len(services)
    if len(citizen) == 0:
        return []
    order = np.lexsort((seconds, citizen))
    c, s, t = citizen[order], service[order], seconds[order]
    everyone = len(np.unique(c))
    per_service = np.bincount(np.unique(c * n_services + s) % n_services, minlength=n_services)
    window = window_days * 86400
    keys: list[Ints] = []
    lead = np.arange(len(c) - 1)
    for step in range(1, LOOKAHEAD + 1):
        lead = lead[lead + step < len(c)]
        follow = lead + step
        lead = lead[(c[follow] == c[lead]) & (t[follow] - t[lead] <= window)]
        if len(lead) == 0:
            break
        a, b = s[lead], s[lead + step]
        differ = a != b
        keys.append((c[lead][differ] * n_services + a[differ]) * n_services + b[differ])
    if not keys:
        return []
    pairs = np.unique(np.concatenate(keys)) % (n_services * n_services)
    together = np.bincount(pairs, minlength=n_services * n_services)
    hidden = {services.index(slug) for slug in sensitive if slug in services}
    found = []
    for pair in np.flatnonzero(together >= min_citizens):
        a, b = divmod(int(pair), n_services)
        if a in hidden:
            continue
        both = int(together[pair])
        confidence = both / int(per_service[a])
        lift = confidence / (int(per_service[b]) / everyone)
        if lift > min_lift:
            found.append(Pattern(services[a], services[b], both, both / everyone, confidence, lift))
    return sorted(found, key=lambda p: (-p.confidence, -p.lift, p.after, p.then))
