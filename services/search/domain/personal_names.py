"""Whether a query reads as a person's full name (given names, bin/bint, Al + family), so the query log drops it.

A name alone is not enough: every word must read as part of a name, so a query that also names a service
("Ali renew passport", "Sultan Qaboos University") is kept."""

from services.search.domain.analysis import is_arabic, words

_GIVEN = """
mohammed muhammad mohamed mohammad ahmed ahmad ali salim salem khalid khalfan hamad hamed hamood humaid abdullah
abdulla abdulaziz abdulrahman rashid rashed nasser nasir hilal yousuf yusuf yousef ibrahim ismail mahmood
mahmoud fahad faisal majid talal badar badr saif sami hassan hussain hussein othman juma jumaa mubarak musallam
zahir zaher khamis suleiman sulaiman marwan tariq waleed yaqoob yahya issa mussa moosa haitham azzan harib hareb
fatma fatima aisha maryam mariam zainab khadija salma amna muna noora shamsa zuwaina asma laila huda sara sarah
hind badriya thuraya latifa aziza naima
محمد احمد علي سالم خالد خلفان حمد حامد حمود حميد عبدالله عبدالعزيز عبدالرحمن راشد ناصر هلال يوسف ابراهيم اسماعيل
محمود فهد فيصل ماجد طلال بدر سيف سامي حسين عثمان جمعه مبارك مسلم زاهر خميس سليمان مروان طارق وليد يعقوب يحيى
عيسى موسى هيثم عزان هارب فاطمه عائشه مريم زينب خديجه سلمى امنه منى شمسه زوينه اسماء ليلى هدى ساره هند بدريه ثريا
لطيفه عزيزه نعيمه
"""
# Names that are also everyday words (age, happy, hope, light, valid, good, owner, sultan, Said): part of a
# name beside others, never enough on their own.
_ALSO_WORDS = """
omar umar said saeed saleh sultan qaboos noor nour amal karim malik adil jamil
عمر سعيد صالح سلطان قابوس نور امل كريم مالك عادل جميل حسن امين
"""
_LINKS = "bin bint ibn bn binti بن بنت ابن"
_FAMILY_MARKERS = "al el aal ال آل"

GIVEN_NAMES = frozenset(words(_GIVEN))
NAME_WORDS = frozenset(words(_ALSO_WORDS))
LINKS = frozenset(words(_LINKS))
FAMILY_MARKERS = frozenset(words(_FAMILY_MARKERS))
MAX_NAME_WORDS = 8
YEAR_DIGITS = 4


def _is_arabic_family(word: str) -> bool:
    """Al- and a nisba: الهنائي, البلوشي."""
    return is_arabic(word) and word.startswith("ال") and word.endswith("ي") and len(word) >= 5


def looks_like_a_full_name(text: str) -> bool:
    tokens = [w for w in words(text) if not (w.isdigit() and len(w) <= YEAR_DIGITS)]
    if not 2 <= len(tokens) <= MAX_NAME_WORDS:
        return False
    given = joined = 0
    after_marker = False
    for position, word in enumerate(tokens):
        if after_marker:
            after_marker, joined = False, joined + 1
        elif word in GIVEN_NAMES:
            given += 1
        elif word in LINKS or word in FAMILY_MARKERS:
            if position in (0, len(tokens) - 1):
                return False
            after_marker = word in FAMILY_MARKERS
            joined += word in LINKS
        elif position and _is_arabic_family(word):
            joined += 1
        elif word not in NAME_WORDS:
            return False
    return given >= 1 and (given >= 2 or joined >= 1)
