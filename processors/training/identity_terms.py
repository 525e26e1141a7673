"""Identity terms: which protected groups a text names, for reweighting the hate-speech training rows.

In the hate corpora, posts that name a group (Muslims, women, migrants, gay
people…) are mostly the hateful ones, so a head learns "group named ⇒ hateful"
and over-calls neutral or positive mentions, people speaking of their own group,
reports and counter-speech (Dixon et al. 2018, "Measuring and Mitigating
Unintended Bias in Text Classification"; Zhang et al. 2020, "Demographics Should
Not Be the Reason of Toxicity"). :func:`groups_named` finds the groups a training
row names so that :mod:`processors.training.train_encoder` can weigh them apart.

The lexicon was written from knowledge of the languages and of the identity-term
lists of that literature, NOT from any evaluation or dev file. It holds neutral
names of groups only, never slurs: a slur is evidence of hate, and balancing it
would teach the heads to ignore it.

Matching: Latin-script terms (en, fr, es, de, pt, romanised Hindi, Arabizi)
match whole words on a case-folded, accent-stripped text; a term ending in ``*``
matches any word it begins. Arabic- and Chinese-script terms match as
substrings (Arabic glues articles, conjunctions and suffixes to its words;
Chinese has no spaces), on a text whose Arabic diacritics and alef forms are
normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache

IDENTITY_TERMS: Mapping[str, tuple[str, ...]] = {
    "muslims": (
        # en, fr, es, de, pt, hi (romanised), Arabizi
        "muslim*", "moslem*", "islam*", "mosque*", "musulman*", "musulmán", "musulmana*", "islamique*",
        "mosquée*", "mezquita*", "muslime*", "moschee*", "muçulman*", "mesquita*", "musalman*",
        "musalmaan*", "masjid*", "moslim*",
        # ar, zh
        "مسلم", "الإسلام", "الاسلام", "إسلامي", "اسلامي", "مسجد", "穆斯林", "伊斯兰", "回民", "回族",
    ),
    "jews": (
        "jew", "jews", "jewish", "judaism", "synagogue*", "juif*", "juive*", "judaïsme", "judío*", "judía*",
        "judaísmo", "jude", "juden", "jüdin*", "jüdisch*", "judentum", "judeu*", "judia*", "judaico*",
        "yahudi*", "yahood*", "yahud*", "yehudi*",
        "يهود", "اليهود", "يهودي", "犹太",
    ),
    "christians": (
        "christian*", "christianity", "church*", "chrétien*", "catholique*", "cristian*", "católic*",
        "christen", "christin*", "christlich*", "kirche*", "cristã*", "cristão*", "igreja*",
        "isai", "isaai*", "masihi*", "masi7i*", "nasara", "nasrani*",
        "مسيحي", "المسيحي", "نصارى", "النصارى", "نصراني", "قبطي", "الأقباط", "الاقباط", "基督",
    ),
    "other_religions": (
        "hindu*", "hinduism", "sikh*", "buddhist*", "buddhism", "bouddhist*", "budista*", "buddhist*",
        "hindou*", "atheist*", "athée*", "ateo*", "atheisten", "ateu*", "yazidi*", "shia", "shiite*",
        "sunni*", "chiite*", "sunnite*", "shi3a", "shee3a",
        "هندوس", "الهندوس", "بوذي", "شيعة", "الشيعة", "شيعي", "السنيين", "السنة والشيعة", "ملحد", "ايزيدي",
        "ايزيدية", "印度教", "佛教徒",
    ),
    "black_people": (
        "blacks", "black people", "black person", "black man", "black men", "black woman", "black women",
        "black folks", "black community", "african*", "les noirs", "des noirs", "africain*",
        "afro-américain*", "afrodescendant*", "negros",
        "los negros", "las negras", "afroamerican*", "afrodescendiente*", "schwarze menschen",
        "afrikaner*", "os negros", "os pretos", "as pretas", "afrodescendente*", "afar2a", "afaria",
        "الأفارقة", "الافارقة", "أفريقي", "افريقي", "أصحاب البشرة السوداء", "黑人", "非洲",
    ),
    "white_people": (
        "whites", "white people", "white person", "white man", "white men", "white woman", "white women",
        "caucasian*", "les blancs", "des blancs", "los blancos", "las blancas", "weiße menschen",
        "weisse menschen", "weiße männer", "os brancos", "as brancas", "gore log", "angrez*",
        "ذوي البشرة البيضاء", "الأوروبيين", "白人",
    ),
    "asian_people": (
        "asian*", "chinese", "japanese", "korean*", "asiatique*", "chinois*", "asiático*", "asiática*",
        "chino", "chinos", "asiaten", "chinesen", "chinês", "chineses",
        "الصينيين", "الآسيويين", "亚洲人", "日本人", "韩国人",
    ),
    "arabs_middle_east": (
        "arab", "arabs", "arabic", "middle eastern", "arabe", "arabes", "maghrébin*", "árabe", "árabes",
        "araber*", "arabisch*", "türke*", "türkin*", "turks", "kurd*", "pakistani*", "afghan*", "persian*",
        "palestinian*", "palestinien*", "palestino*", "palästinenser*", "3arab",
        "العرب", "عربي", "الأكراد", "الاكراد", "الفلسطينيين", "阿拉伯",
    ),
    "latino_hispanic": (
        "latino*", "latina*", "latinx", "hispanic*", "mexican*", "latinos", "hispano*", "mexicano*",
        "latinoamerican*", "mexikaner*", "latino-american*", "sudamerican*",
    ),
    "roma_indigenous": (
        "romani", "romanies", "gypsy", "gypsies", "roms", "tsigane*", "gitano*", "gitana*",
        "sinti", "indigenous", "native american*", "indígena*", "indigène*", "aborigin*", "indio*",
        "índio*", "adivasi*", "dalit*", "scheduled caste*", "uyghur*", "uighur*", "rohingya*", "tibetan*",
        "الغجر", "الروهينغا", "维吾尔", "维族", "藏族", "少数民族", "少数族裔", "吉普赛",
    ),
    "regional_origin": (
        "nordestino*", "nordestina*", "bihari*", "madrasi*", "kashmiri*", "northeastern*",
        "河南人", "东北人", "上海人", "北京人", "广东人", "新疆人", "湖南人", "四川人", "山东人", "外地人",
        "农村人",
    ),
    "migrants_refugees": (
        "migrant*", "immigrant*", "immigration", "refugee*", "asylum seeker*", "asylum", "foreigner*",
        "immigré*", "immigrée*", "réfugié*", "réfugiée*", "demandeurs d'asile", "étrangers",
        "étrangères", "migrante*", "inmigrante*", "inmigración", "refugiado*", "refugiada*", "extranjeros",
        "extranjeras", "migranten", "migrantin*", "flüchtling*", "geflüchtete*", "asylbewerber*",
        "asylanten", "ausländer*", "einwanderer", "zuwanderer", "imigrante*", "imigração", "estrangeiros",
        "sharanarthi*", "videshi*", "ghuspaithi*", "laje2*", "laji2*", "lage2*", "mohajer*", "muhajir*",
        "لاجئ", "اللاجئين", "لاجئين", "مهاجر", "المهاجرين", "الأجانب", "الاجانب", "أجنبي", "اجنبي",
        "移民", "难民", "外国人", "老外",
    ),
    "sexual_orientation": (
        "gay", "gays", "lesbian*", "bisexual*", "homosexual*", "queer*", "lgbt*", "lgb", "homosexuel*",
        "homosexuelle*", "lesbienne*", "bisexuel*", "homosexuales", "lesbiana*", "bisexuales",
        "homosexuelle", "schwul*", "lesbe", "lesben", "lesbisch*", "homo", "homos", "homossexua*",
        "lésbica*", "samlaingik*", "samalingik*", "mithliyin", "mithliyeen",
        "المثليين", "مثليين", "مثلية", "المثلية", "同性恋",
    ),
    "gender_identity": (
        "trans", "transgender*", "transsexual*", "transexual*", "nonbinary", "non-binary", "transgenre*",
        "transexuel*", "transgénero*", "transexual*", "transfrau*", "transmann*", "transgeschlecht*",
        "transsexuell*", "transgênero*", "travesti*", "hijra*", "kinnar*", "trans women", "trans men",
        "متحول", "المتحولين", "العابرين", "跨性别", "变性人",
    ),
    "women": (
        "women", "woman", "girls", "females", "feminist*", "feminism", "femme", "femmes", "féministe*",
        "féminisme", "mujer", "mujeres", "chicas", "feminista*", "feminismo", "frauen",
        "feministin*", "mulher", "mulheres", "aurat*", "auraton", "ladki*", "ladkiyan", "mahila*",
        "nisa2", "niswan", "neswan", "banat", "mara2a", "mar2a",
        "النساء", "المرأة", "المراه", "امرأة", "نساء", "نسوان", "البنات", "النسوية", "الحريم",
        "女性", "女人", "妇女", "女生", "女权", "女孩", "女司机", "女博士",
    ),
    "disability": (
        "disabled", "disabilit*", "handicap*", "wheelchair*", "blind", "deaf", "autistic", "autism",
        "mentally ill", "down syndrome", "handicapé*", "handicapée*", "sourd*", "aveugle*", "autiste*",
        "discapacitad*", "discapacidad", "minusválido*", "ciego*", "sordo*", "autista*", "behindert*",
        "behinderung*", "rollstuhl*", "autist*", "deficiente*", "deficiência", "cadeirante*", "viklang*",
        "divyang*", "apahij*",
        "معاق", "المعاقين", "معاقين", "ذوي الاحتياجات", "ذوي الإعاقة", "الإعاقة", "الاعاقة", "كفيف",
        "残疾", "残障", "残废", "聋哑", "盲人", "自闭症",
    ),
}
"""Group → its names, in every training language (en, fr, es, de, pt, ar with Arabizi, zh, romanised hi)."""

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})


def _is_latin(term: str) -> bool:
    """Whole-word matching for terms without Arabic or CJK letters."""
    return not any("\u0600" <= ch <= "\u06ff" or "\u3400" <= ch <= "\u9fff" for ch in term)


def normalise(text: str) -> str:
    """Case-folded, Latin accents and Arabic diacritics removed, Arabic alef forms unified."""
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ALEFS).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not (unicodedata.combining(ch) and ch < "\u0600"))
    )


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    words = []
    pieces = []
    for term in sorted({normalise(t) for t in terms}, key=len, reverse=True):
        if not _is_latin(term):
            pieces.append(re.escape(term))
        elif term.endswith("*"):
            words.append(re.escape(term[:-1]) + r"\w*")
        else:
            words.append(re.escape(term))
    alternatives = list(pieces)
    if words:
        alternatives.append(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
    return re.compile("|".join(alternatives))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {group: _pattern(terms) for group, terms in IDENTITY_TERMS.items()}


def groups_named(text: str) -> frozenset[str]:
    """The groups of :data:`IDENTITY_TERMS` that ``text`` names (empty when none)."""
    plain = normalise(text)
    return frozenset(group for group, pattern in _patterns().items() if pattern.search(plain))
