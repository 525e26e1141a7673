"""Sentences written for these tests, in languages the shared data lacks.

Written by the authors of this module (not native speakers for am/ti/ha/so):
they test the plumbing and the Amharic/Tigrinya split, and the measured
accuracy on them is reported as such, not as a benchmark.
"""

SW = [
    "Watu kumi na wawili wameuawa katika shambulio la wanamgambo kwenye kijiji kimoja mashariki mwa Kongo.",
    "Serikali imesema kwamba hali ya usalama katika eneo hilo imeimarika "
    "baada ya mapigano ya wiki iliyopita.",
    "Maelfu ya wakimbizi wamekimbia makazi yao kutokana na mapigano kati ya jeshi na waasi.",
    "Polisi wanasema watu watatu walikamatwa kuhusiana na mauaji hayo ya kinyama.",
    "Mvua kubwa imesababisha mafuriko katika mikoa mitatu na kuharibu mashamba mengi.",
    "Rais alihutubia taifa jana jioni na kuahidi kuchukua hatua dhidi ya ufisadi.",
    "Wanafunzi wengi hawakuweza kwenda shuleni kwa sababu ya ukosefu wa usafiri.",
    "Shirika la Umoja wa Mataifa limeomba msaada wa dharura kwa ajili ya watoto wanaokabiliwa na njaa.",
    "Watu wenye silaha walivamia soko na kuchoma moto nyumba kadhaa usiku wa kuamkia leo.",
    "Viongozi wa dini wametoa wito wa amani na kuwataka wananchi kuepuka chuki na ubaguzi.",
    "Hospitali ya wilaya imepokea majeruhi zaidi ya hamsini tangu asubuhi.",
    "Bei ya chakula imepanda kwa kasi katika miezi ya hivi karibuni.",
]
AM = [
    "በምዕራብ ኢትዮጵያ በተፈጸመ ጥቃት ቢያንስ አስር ሰዎች መገደላቸውን የአካባቢው ነዋሪዎች ተናገሩ።",
    "መንግሥት በክልሉ ያለው የጸጥታ ሁኔታ መሻሻሉን ገልጿል።",
    "በሺዎች የሚቆጠሩ ሰዎች ከቤታቸው ተፈናቅለዋል።",
    "ታጣቂዎች መንደሩን አቃጥለው ከብቶችን ዘርፈዋል ሲሉ የዓይን እማኞች ተናግረዋል።",
    "ፖሊስ ከግድያው ጋር በተያያዘ ሦስት ሰዎችን በቁጥጥር ስር አውሏል።",
    "የተባበሩት መንግሥታት ድርጅት ለተጎዱት ሰዎች አስቸኳይ እርዳታ እንዲደረግ ጠይቋል።",
    "ከባድ ዝናብ በአገሪቱ በተለያዩ አካባቢዎች ጎርፍ አስከትሏል።",
    "ጠቅላይ ሚኒስትሩ ትናንት ለሕዝቡ ንግግር አድርገዋል።",
    "ተማሪዎች ትምህርት ቤት መሄድ አልቻሉም ምክንያቱም መንገዱ ተዘግቷል።",
    "የሃይማኖት አባቶች ሰላም እንዲሰፍን ጥሪ አቅርበዋል።",
    "ይህ ዜና ለብዙ ሰዎች አሳዛኝ ነው።",
    "የምግብ ዋጋ በከፍተኛ ሁኔታ ጨምሯል።",
]
TI = [
    "ኣብ ትግራይ ዝርከቡ ብዙሓት ሰባት ሓገዝ ምግቢ የድልዮም ኣሎ።",
    "እዚ ዜና እዚ ንብዙሓት ሰባት ዘሕዝን እዩ።",
    "ሰራዊት ናብ ከተማ ኣትዩ ብዙሓት ሰባት ተቐቲሎም።",
    "ኣብቲ ዓዲ ዝነበሩ ነበርቲ ካብ ገዛውቶም ተመዛቢሎም እዮም።",
    "መንግስቲ ብዛዕባ እቲ ኩነታት ሓበሬታ ሂቡ።",
    "ተማሃሮ ናብ ቤት ትምህርቲ ክኸዱ ኣይከኣሉን።",
]
HA = [
    "'Yan bindiga sun kashe mutane goma sha biyu a wani hari da suka kai a kauyen jihar Zamfara.",
    "Gwamnati ta ce tana daukar matakai domin kawo karshen rikicin da ake fama da shi.",
    "Dubban mutane sun tsere daga gidajensu sakamakon fadan da ake yi tsakanin sojoji da 'yan tawaye.",
    "Rundunar 'yan sanda ta ce ta kama mutum uku da ake zargi da hannu a kisan.",
    "Ruwan sama mai karfi ya haddasa ambaliya a jihohi uku na arewacin kasar.",
    "Shugaban kasa ya yi jawabi ga al'ummar kasar a daren jiya.",
]
SO = [
    "Ugu yaraan toban qof ayaa lagu dilay weerar ka dhacay tuulo ku taal gobolka Shabeellaha Hoose.",
    "Dowladda ayaa sheegtay in xaaladda amni ee deegaanka ay soo hagaagtay.",
    "Kumanaan qof ayaa ka barakacay guryahooda dagaal dartiis.",
    "Booliska ayaa sheegay in ay xireen saddex qof oo lagu tuhmayo dilka.",
    "Roobab culus ayaa sababay daadad ka dhacay gobollo badan.",
]
