"""Words that tell neighbouring Latin-script languages apart in a short post.

A post of five words gives a character n-gram model little to go on, and tweets
are written in slang the models rarely saw: Brazilian "pqp vsf mano" reads as
Spanish or Lingala to them, English "dat hoe finna" as Dutch. Frequent grammar
words and the internet slang of each language settle most of those posts. The
lists hold only words that are common in their language and rare or absent as
words in the others listed (so no "que", "de", "la", "con", "non", "mais"/"mas"
pairs that two languages share); they were written from general knowledge of
the languages, not drawn from any data file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MARKER_WORDS: Mapping[str, frozenset[str]] = {
    "en": _words(
        "the and you your you're youre is are were been it's this that what with for i'm im dont don't "
        "can't cant won't wont just like got get gonna wanna gotta aint ain't yall y'all lol lmao lmfao "
        "smh u ur dat finna tryna bitch bitches hoe hoes nigga niggas nigger niggers fuck fucking fucked "
        "shit ass cunt faggot fag dyke retard retarded pussy slut whore they them their there he she his "
        "her him who why when how not yes have has had does did would should could about out up down "
        "people love hate good bad know think want need going really never because cause from they're "
        "there's we our us my of be at by if but or all one off too some any only nicca niccas hell bout "
        "cuz lil fam bruh damn dumb stupid ugly trash wyd lmaoo ima imma doesnt didnt isnt thats that's "
        "whats what's its hes shes make made every still back right now day time year girl boy girls guys "
        "shut kill thank thanks please sorry happy little here where which than then these those even "
        "much many over after before into without something nothing everything anyone spic twat chink "
        "mongoloid feminazi illegal immigrants fake news"
    ),
    "pt": _words(
        "não nao né você voce vc vcs tbm também tambem muito muita muitos mto mt pra tô isso esse essa "
        "esses essas aquele aquela aquilo isto eu meu minha meus minhas seu ele ela eles elas é são sao "
        "então entao com uma porra caralho pqp vsf vtnc tnc krl mds slk aff tmj obrigado obrigada dnv agr "
        "oq qnd vdd msm mesmo sim fazer fala falar foi vou tava estou estava ficar ficou coisa hoje ontem "
        "amanhã bem melhor cadê daqui dele dela nesse nessa desse dessa disso nisso numa num pela pelos "
        "pelas às ao aos nós tudo ninguém ngm kd blz cê tá fode fodido fudido foda carai pariu kk kkjj mô "
        "tb tmb hj moleque gostoso gostosa babaca boiola viado viadao vagabundo desgraça desgraçado "
        "arrombado otário otario escroto parabéns parabens talvez sério nem pode pras pros tão sou estão "
        "têm tem quem onde ainda agora depois bom boa obg olha acho quero tenho fiz fez faz vem vamo "
        "bora garota menina menino moça filho filha mãe mae pai dinheiro trabalho coração aí daí"
    ),
    "es": _words(
        "el los las del pero muy estoy eres qué cómo tambien también hay hoy ahora aquí así sí mucho "
        "mucha muchos muchas bueno mejor verga pendejo pendeja wey güey usted ustedes nosotros ellos "
        "ellas ella eso esto esa ese esos esas hdp ctm ctmre weon boludo pelotudo chido neta gracias "
        "señor niño niña mañana año años dónde donde cuando cuándo siempre puedo quiero tengo tiene "
        "tienen hacer hace están pues nadie carajo joder coño cabrón mierda gilipollas chingada chinga "
        "pinche culero entonces hasta tú aunque después mismo nuestro nuestra cosas algún alguien cuál "
        "cual fue soy tenemos dijo sé jaja nomás aca acá allá ahi ahí hijo"
    ),
    "fr": _words(
        "des est et je j'ai jsuis jsp jpp jte jme jcrois chui ils elle elles nous vous pas avec pour "
        "dans cette ces cest c'est quoi quel quelle quels mec meuf putain merde mdr mdrr ptdr wesh ses "
        "tout tous toute toutes rien très trop fait faire être y'a hein bah aussi alors donc comme "
        "vraiment encore gros oui au aux une leur leurs notre votre moi toi eux ça qu'il qu'on n'est "
        "j'suis d'un d'une l'on sont suis mdrrr tkt wsh slt bjr bsr stp svp chuis jvais jsais jveux "
        "j'aime t'es t'as ptn ntm connard connasse salope pute enculé bâtard batard nique niquer rebeu "
        "rebeus renoi réfugiés gens ici là déjà peut faut veut vais été avoir avait était ont mon parce "
        "quand pourquoi où sans chez depuis avant après contre moins beaucoup jamais toujours ouais"
    ),
    "it": _words(
        "gli della dello degli nel nella sono è che perché perche anche ancora questo questa quello "
        "quella molto tutto tutti abbiamo siamo siete fatto oggi ieri domani grazie cazzo minchia "
        "vaffanculo ragazzi ci ecco dove proprio niente nessuno allora adesso già più piu sul sulla dal "
        "dalla nei io mio mia essere stronzo troia per quindi però cioè comunque bene ragazza italiani "
        "noi voi loro lei fare dire detto"
    ),
    "de": _words(
        "der das und ist nicht ich wir ihr sie mit auf für fur von zu den dem ein eine einen auch "
        "noch nur aber wenn dass sich sind hat haben wird werden schon jetzt doch immer mehr kein keine "
        "nichts bin bist mir mich dich dir uns euch ihnen oder weil ganz gibt kann muss soll einfach "
        "heute gut nein warum dann vom zum zur beim über gegen ohne diese dieser dieses viele"
    ),
    "nl": _words(
        "een het niet ik wat zijn maar ook naar van hij zij wij jullie heb heeft hebben geen nog wel "
        "niks heel waarom omdat mijn jij moet ben bent werd worden deze kut lekker zeker"
    ),
}

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


_LANGUAGE_OF: Mapping[str, str] = {word: lang for lang, words in MARKER_WORDS.items() for word in words}


def marker_hits(text: str) -> dict[str, int]:
    """Per language, how many of the text's words are its marker words (only languages with a hit)."""
    hits: dict[str, int] = {}
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        lang = _LANGUAGE_OF.get(word)
        if lang is not None:
            hits[lang] = hits.get(lang, 0) + 1
    return hits
