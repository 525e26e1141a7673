"""Romanised Hindi (Hinglish) in short posts: identified as ``hi``, and the look-alikes keep their language.

The posts here were written for the tests from knowledge of how people post (never from an
evaluation file). The dev-file checks read ``processors/evaluation/data/language_dev_written.csv``
(hand-written too; ``python -m bench.language_short --written`` prints the same figures): the rule
was tuned on its tuning half only, and both halves are held to what was measured, a little under.
"""

from __future__ import annotations

import re

import pytest

from processors.evaluation.language_files import written_halves
from processors.language import ROMANISED_HINDI_SHARE, LanguageIdentifier
from processors.marker_words import MARKER_WORDS
from processors.writing_systems import (
    _ARABIZI_LOANS,
    _ARABIZI_MARKERS,
    _HINDI_AMBIGUOUS,
    _HINDI_MARKERS,
    romanised_hindi,
)

# dev file: share of romanised-Hindi rows identified hi, at least, per half: the 91 rows of each
# half written first (measured: before → after the larger lexicon, the emoji fix and the two-word
# rule: tuning 0.725 → 1.000, held-out 0.703 → 0.967), and the 150 of each half added on
# 2026-12-07, posts of at most 60 characters (before → after the second round's words: tuning
# 133 → 144, held-out 135 → 138 of 150), and the 150 of each half added in the third round by
# a new writer, at most 60 characters (before → after the third round's words: tuning
# 123 → 144, held-out 118 → 120 of 150); with the learnt model beside the lexicon
# (models/romanised-hindi): tuning 144 → 145 and 144 → 146, held-out 138 → 142 and 120 → 133
HINDI_MINIMUM = {"tuning": (0.98, 0.96, 0.97), "held-out": (0.95, 0.94, 0.88)}
PARTS = (91, 150, 150)


@pytest.mark.parametrize("half", ["tuning", "held-out"])
def test_romanised_hindi_of_the_dev_file_is_hindi(identifier: LanguageIdentifier, half: str) -> None:
    texts = [text for text, lang in written_halves()[half] if lang == "hi"]
    assert len(texts) == sum(PARTS)
    assert all(len(text) <= 60 for text in texts[PARTS[0]:])
    ends = [sum(PARTS[:i + 1]) for i in range(len(PARTS))]
    parts = [texts[end - size:end] for size, end in zip(PARTS, ends, strict=True)]
    for part, minimum in zip(parts, HINDI_MINIMUM[half], strict=True):
        right = sum(identifier.identify(text)[0] == "hi" for text in part)
        assert right / len(part) >= minimum, f"{right}/{len(part)}"


@pytest.mark.parametrize("half", ["tuning", "held-out"])
def test_no_other_language_of_the_dev_file_is_taken_for_hindi(identifier: LanguageIdentifier,
                                                             half: str) -> None:
    taken = [(lang, text) for text, lang in written_halves()[half]
             if lang != "hi" and identifier.identify(text)[0] == "hi"]
    assert taken == []


@pytest.mark.parametrize("text", [
    # emoji, flags and curly quotes made a post non-ASCII, and the Hindi check skipped it
    "gaana sun ke rona aa gaya 😭", "bohot badhiya bhai 👌", "kya bakwas joke hai 😂😂",
    "India jeet gayi 🇮🇳 bahut khushi hui", "kal exam hai aur kuch nahi padha 😭",
    "dhoni jaisa captain koi nahi 🙏", "yeh sab uski galti hai, mujhe mat bolo ’bhai’",
    # spellings Hinglish posters use (nhi, h, kia, bht, rhe, kr)
    "mujhe nhi pata kia hua", "thik h kal milte h", "kia kr rhe ho aaj kal", "bht mast h ye gana",
    "Mere pass time nhi h abhi, baad me baat krte h", "vo aaya nhi abhi tk", "tu kab aayega bta",
    # everyday topics with English mixed in
    "ipl me csk ka kya scene hai is baar", "train phir se 3 ghante late hai", "neet ki taiyari kaise karu",
    "wifi bahut slow chal raha hai", "Delhi ka pollution dekh ke lagta hai saans lena bhi band kar de",
    "Amazon wale ne galat order bhej diya aur ab return bhi nahi le rahe, customer care bekaar hai",
    # two or three words
    "bahut badhiya yaar", "nahi chahiye mujhe", "chal nikal yahan se", "apna time aayega",
    # threats and abuse, the posts the romanised-Hindi hate route exists for
    "in logo ko maar do", "sab ke sab gaddar hai", "inko desh se bhagao", "tujhe sharam nahi aati",
    # romanised Urdu: the same spoken language, identified hi (ur is for Arabic letters)
    "mujhe aap se mohabbat hai", "Hukumat ne phir se qeemat barha di, ghareeb aadmi kahan jaye",
])
def test_short_romanised_hindi_posts_are_hindi(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.identify(text)[0] == "hi"


@pytest.mark.parametrize(("text", "lang"), [
    # English with Hindi-looking words: greetings, names, loanwords, parties
    ("Namaste everyone, welcome to my channel", "en"), ("karma will catch up with you", "en"),
    ("Yoga and chai, perfect Sunday morning", "en"), ("My guru says patience is everything", "en"),
    ("AAP wins Delhi election again", "en"), ("hai guys, how are you all", "en"),
    ("Go to the main page to see the log", "en"), ("Shah Rukh Khan is my favourite actor", "en"),
    ("matlab code for the flood model, 5 lakh rows", "en"),
    # Hausa and Shona share ka/ki/ko/ne with Hindi
    ("ka ga abin da suke yi mana", "ha"), ("Dan Allah ku taimaka mana", "ha"),
    ("mun gode sosai Allah ya saka da alheri", "ha"), ("iwe uri benzi chaiye", "sn"),
    ("vanhu ava vanoda mari chete", "sn"),
    ("habari za asubuhi rafiki", "sw"), ("saya tidak tahu apa yang terjadi", "id"),
    ("salamat po sa inyo", "tl"), ("ang ganda ng bahay mo, sobrang ganda talaga", "tl"),
    ("che bella giornata oggi", "it"), ("este gobierno es una vergüenza", "es"),
    ("não aguento mais essa chuva", "pt"),
])
def test_look_alikes_keep_their_language(identifier: LanguageIdentifier, text: str, lang: str) -> None:
    assert identifier.identify(text)[0] != "hi"
    assert romanised_hindi(text) < ROMANISED_HINDI_SHARE


@pytest.mark.parametrize("text", [
    # Italian "hai" (you have) beside "ho", "mai", "se", "di", "tu": Hindi-looking particles
    "se hai bisogno chiamami", "non hai mai capito niente di me", "ma tu hai visto che cosa ho fatto",
    "tu hai ragione", "hai ragione, non ci ho pensato",
    # a letter split off at an accented letter was read as a Hindi word ("câmera" → "c" + "mera")
    "se tem câmera no fundo de casa to fudido",
    # Dutch "maar" (but) is Hindi "maar" (kill) only before the verbs that make it Hindi
    "maar de trein was te laat", "maar dat is niet waar",
    # a weather pun of a CrisisLex tweet: one Hindi-looking word in thirty
    "Singapore's Weather : Hot Ho H Hu Hum Humid Humi Hum Hu H Ha Haz Haze Haz Ha H Ha Hai Hail Hello",
    # Portuguese "bolo" (cake), Tagalog "ganda" (beautiful), English "rupees"
    "torresmo? bolo? pipoca? batata frita? salada? sopa de feijão?",
    "Bagyo ka lang. Baha ka lang. PINOY AKO! Vice Ganda",
])
def test_words_other_languages_write_are_no_hindi_evidence(text: str) -> None:
    assert romanised_hindi(text) < ROMANISED_HINDI_SHARE


def test_maar_before_a_hindi_verb_is_hindi() -> None:
    assert romanised_hindi("Muslims ko maar do") >= ROMANISED_HINDI_SHARE
    assert romanised_hindi("in logo ko maar dalo") >= ROMANISED_HINDI_SHARE


def test_a_hindi_marker_is_no_marker_of_another_language_nor_arabizi_evidence() -> None:
    others = set().union(*MARKER_WORDS.values())
    assert sorted(_HINDI_MARKERS & others) == []
    assert sorted(_HINDI_MARKERS & (_ARABIZI_MARKERS | _ARABIZI_LOANS)) == []
    assert sorted(_HINDI_MARKERS & _HINDI_AMBIGUOUS) == []


@pytest.mark.parametrize("word", [
    "hindi",   # Tagalog "not"
    "maza",    # Hausa "men"
    "mana",    # Hausa, Malay
    "khabar",  # Malay "news"
    "sabar",   # Indonesian "patient"
    "kaka",    # Swahili "brother"
    "lagi",    # Indonesian, Tagalog "again"
    "jana",    # Swahili "yesterday"
    "oye",     # Spanish "listen"
    "bure",    # Swahili "free"
    "vale",    # Spanish, Portuguese "OK"
    "thin",    # English
    "ni",      # Spanish, French "nor"; and Arabizi "ya3ni" (I mean) splits into "ya" + "ni"
])
def test_an_everyday_word_of_another_language_is_no_hindi_word(word: str) -> None:
    assert word not in _HINDI_MARKERS | _HINDI_AMBIGUOUS


SHARED_WORDS = [  # Italian, English, Swahili/Tagalog, Portuguese, Spanish, English, Turkish, German
    "hai", "ho", "mai", "me", "hi", "main", "mere", "log", "logo", "teen", "wala", "acha", "ganda", "bolo",
    "andar", "rupees", "matlab", "insan", "wo",
]


@pytest.mark.parametrize("word", SHARED_WORDS)
def test_a_word_shared_with_another_language_is_only_ambiguous(word: str) -> None:
    assert word in _HINDI_AMBIGUOUS
    assert word not in _HINDI_MARKERS


# Posts of the kinds the lexicon missed until 2026-12-07 (written for the tests, from how people post):
# news headlines full of place names, religious greetings, cricket banter, food, slurs of two or
# three words, romanised Urdu. Each was identified as something else before the words were added.
@pytest.mark.parametrize("text", [
    # headlines: names dilute the share, and "ke", "ki", "pe", "me" count only beside a marker
    "Indore: dahej ke maamle me bahu ki hatya, pati giraftaar",
    "Patna me pariksha leak ke virodh me pradarshan",
    "Meerut: do gut me patharbazi, ilaake me tanav, police tainaat",
    "Kanpur hadsa: bus palti, 4 ki maut, 20 ghayal",
    "Bhopal: kisaan andolan ke dauraan lathicharge, FIR darj",
    "Lucknow court ne aaropi ki zamanat khaarij ki, agli sunwai somvar ko",
    # greetings and prayers
    "Ganpati Bappa Morya 🙏🌺", "Om Namah Shivay 🔱", "Har Har Mahadev 🙏", "Vande Mataram 🇮🇳",
    "Ramzan Mubarak 🌙🤲", "dil se shukriya ❤️",
    # cricket and praise
    "chhakka mara 🔥🔥 Rohit ne", "Rohit ka chauka, ekdum jhakaas", "team India hi jeetegi 💪 jeetega 🇮🇳",
    "gendbazi ekdum bekar 😡", "shandaar pari Virat, lajawab 👏",
    # food
    "Lucknow ki biryani, kheer 😋", "maa ke haath ke pakode 🤤", "garam jalebi aur khatta meetha chole",
    # slurs and threats of two or three words
    "mulle gaddaron ki aulaad", "katue jihadi chor", "chup kar kutiya", "manhoos aurat",
    "langda Hardik 😂 kaptaan bana", "haramzade bhadwe 🤬",
    # romanised Urdu
    "hukumat ne ghareebon ka jeena haraam", "is mulk ki awaam jaagegi?",
    "zaalim hukumat murdabad", "qaum ke gaddaron ko pehchaan lo",
    # short posts, second round (2026-12-07): news one-liners, festival greetings, film banter, slurs
    "Agra mein sadak haadse mein do ki maut", "truck palti, driver surakshit", "godown mein aag 🔥",
    "Durga puja ki shubhkamnaye 🙏", "rab mehar kare 🙏", "maalik ka shukar hai 🤲",
    "film ki kahani chori ki hai", "stadium mein seetiyan hi seetiyan", "haaye main mar jaun 😍",
    "in mullon ko sabak sikhao",
    # short posts, third round (2026-12-07): prices, leave, food, local crime news, slang, flags
    "cooking gas ka daam badha 😤", "boss ne chutti cancel kr di bc", "tiffin me bhindi 😩",
    "mohalle me jhagda 😡", "mohalle me chaku baazi", "shehar me curfew lagu",
    "sharaabi ne nashe me car se kuchla", "ekdum jhakkas bhidu 😎", "chhora bada sayana nikla",
    "ghar ghar tiranga lehraya 🇮🇳",
])
def test_headlines_greetings_cricket_food_and_slurs_are_hindi(identifier: LanguageIdentifier,
                                                              text: str) -> None:
    assert identifier.identify(text)[0] == "hi"


# The words added on 2026-12-07 that are everyday words of a language the desk reads count only
# beside a marker: each in a post of that language (or English) stays out of Hindi.
NEW_SHARED = {
    "chamar": "vou chamar a polícia agora mesmo",       # Portuguese "call"
    "chor": "der Chor singt heute in der Kirche",       # German "choir"
    "kaum": "ich habe kaum geschlafen, ja wirklich",    # German "hardly"
    "haare": "meine Haare sind zu lang, ja",            # German "hair"
    "haar": "ik heb haar gisteren gezien",              # Dutch "her"
    "har": "jag har inte tid idag",                     # Swedish "have" (Hindi "every")
    "naam": "wat is je naam",                           # Dutch "name"
    "mata": "ele mata a saudade com um abraço",         # Portuguese "kills"
    "maut": "die Maut auf der Autobahn ist zu teuer",   # German "toll"
    "maaf": "maaf saya terlambat hari ini",             # Indonesian "sorry"
    "awam": "orang awam tidak faham hal ini",           # Malay "public"
    "insaf": "dia sudah insaf dan minta maaf",          # Malay "repent"
    "ibadat": "tempat ibadat itu ditutup hari ini",     # Malay "worship"
    "masjid": "kami solat di masjid dekat rumah",       # Malay "mosque"
    "dua": "saya ada dua anak",                         # Malay "two"
    "ishara": "hakuna ishara ya mvua leo",              # Swahili "sign"
    "kafi": "bu kadar yeter, kafi",                     # Turkish "enough"
    "siyasi": "siyasi durum çok kötü",                  # Turkish "political"
    "zalim": "bu adam çok zalim",                       # Turkish "cruel"
    "katil": "katil yakalandı",                         # Turkish "murderer"
    "kanun": "yeni kanun meclisten geçti",              # Turkish "law"
    "kaptan": "kaptan gemiyi limana getirdi",           # Turkish "captain"
    "hafta": "bu hafta çok yoğunum",                    # Turkish "week"
    "namaz": "cuma namaz vakti geldi",                  # Turkish "prayer"
    "kese": "kese kağıdı lazım",                        # Turkish "bag"
    "lamba": "ele lamba os dedos depois de comer",      # Portuguese "licks"
    "chota": "no seas chota, hombre",                   # Spanish slang
    "sona": "la alarma sona cada mañana",               # Spanish "sounds"
    "nai": "sou ja nai yo",                             # romanised Japanese "not"
    "jai": "jai pas le temps ce soir",                  # French SMS "j'ai"
    "hy": "hy guys what's up",                          # English "hey"
    "hen": "the hen laid an egg",                       # English
    "thay": "thay said it would rain",                  # English typo of "they"
    "saal": "der Saal war voll",                        # German "hall"
    "foran": "han står foran huset",                    # Norwegian "in front of"
    "daal": "daal de trap af",                          # Dutch "go down"
    "khula": "ukukhula kwezingane kubalulekile khula",  # Zulu "grow"
    "gunga": "Gunga Din is a poem by Kipling",          # English (a name)
    "beti": "the Beti people live in Cameroon",         # English (a people)
    "dukan": "the Dukan diet is back in fashion",       # English (a name)
    "shamil": "Imam Shamil led the resistance in Dagestan",  # English (a name)
    "jeet": "Jeet won the chess tournament",            # English (a name)
    "sundar": "Sundar Pichai spoke at the conference",  # English (a name)
    "sunder": "to tear asunder, to sunder the bond",    # English
    "fateh": "Fateh Singh was a general",               # English (a name)
    "hafiz": "Hafiz was a Persian poet",                # English (a name)
    "khalsa": "Khalsa Aid sent food to the flood victims",  # English
    "waheguru": "Waheguru bless everyone at the gurdwara today",  # English
    "kesy": "kesy is my gamer tag",                     # English (a handle)
    "yojana": "the Ujjwala Yojana gave gas connections to poor families",  # English news
    "pradesh": "floods in Uttar Pradesh killed 12 people",  # English news
    "nagar": "a fire in Gandhi Nagar market last night",    # English news
    "mandir": "the Ram Mandir opened to visitors today",    # English news
    "diwali": "Happy Diwali to all my friends",             # English
    "holi": "Happy Holi, stay safe and have fun",           # English
    "puja": "the puja was held at the temple",              # English
    "samosa": "samosa and tea for breakfast",               # English
    "biryani": "the best biryani in town",                  # English
    "roti": "roti with curry is my favourite",              # English
    "chai": "a cup of chai after work",                     # English
    "maa": "Maa is coming home tonight",                    # English
    "jaan": "Jaan is my best friend",                       # English (a name)
    "goli": "alifunga goli la kwanza",                      # Swahili "goal"
    "shanti": "om shanti, peace to all",                    # English
    "jihad": "calls for jihad were reported by the police",  # English news
    "jihadi": "a jihadi group claimed the attack",          # English news
    "kafir": "they called him a kafir online",              # English
    # Urdu's Arabic words as Arabizi writes them (a sound digit splits a word: "3ilaaj" → "ilaaj")
    "ghareeb": "wallah shi ghareeb ya jama3a",              # "strange"
    "qatil": "el qatil lazem yet3aqab",                     # "killer"
    "qatl": "el qatl 7aram ya 3alam",                       # "killing"
    "zulm": "da zulm ya gama3a",                            # "injustice"
    "yaqeen": "3andi yaqeen enno ra7 tenja7",               # "certainty"
    "ilaj": "mafi ilaj la hal mashakel",                    # "cure"
    "ilaaj": "el 3ilaaj ghali awi",                         # "treatment"
    "taqat": "ma 3andi taqat ya 3am",                       # "strength"
    "shikayat": "3andi shikayat 3al sherka",                # "complaints"
    "mulk": "el mulk lillah wa7do",                         # "dominion"
    "jannat": "jannat el firdaws insha2allah",              # "gardens"
    # second round (2026-12-07)
    "iska": "wannan dan iska ne sosai",                     # Hausa "wind" ("dan iska", a scoundrel)
    "puri": "kami menginap di puri dekat pantai",           # Indonesian "palace"
    "garam": "tambah sedikit garam dalam sup itu",          # Malay "salt"
    "mil": "ganhei mil reais por mês",                      # Portuguese, Spanish "thousand"
    "giri": "facciamo due giri in centro",                  # Italian "turns"
    "lenge": "det er lenge siden sist",                     # Norwegian "long"
    "jalebi": "jalebi and tea at the winter fair",          # English
    "ganesh": "Ganesh won the spelling bee",                # English (a name)
    # third round (2026-12-07)
    "haal": "haal je jas even uit de auto",                 # Dutch "fetch"
    "naman": "ang ganda naman ng panahon ngayon",           # Tagalog particle
    "kr": "billetten koster 250 kr per person",             # Norwegian, Swedish "kroner"
    "ghana": "Ghana beat Nigeria in the qualifier",         # English (a country)
    "muh": "they want to take muh guns away",               # English slang "my"
    "roza": "Roza is starting her new job on Monday",       # English (a name)
    "shaheed": "allah yer7am el shaheed ya rab",            # Arabizi "martyr"
    "sharab": "3ayez sharab barid men el talaga",           # Arabizi "drink"
    "bharti": "Bharti Airtel posts higher quarterly profit",  # English (a name)
    "kaali": "the Kaali temple was full on Sunday",         # English (the goddess)
    "pujari": "the temple pujari led the evening prayers",  # English (a loan)
}


@pytest.mark.parametrize(("word", "text"), sorted(NEW_SHARED.items()))
def test_a_new_shared_word_is_only_ambiguous(word: str, text: str) -> None:
    assert word in _HINDI_AMBIGUOUS
    assert word not in _HINDI_MARKERS
    assert word in re.findall(r"[^\W\d_]+", text.lower())
    assert romanised_hindi(text) < ROMANISED_HINDI_SHARE
