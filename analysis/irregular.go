package analysis

// irregular maps the past and participle forms of English irregular verbs
// to their base form before stemming. Snowball stems by suffix, so "froze"
// and "freeze", "wrote" and "write", "began" and "begin" never meet; a
// question in the present ("When did the harbour freeze?") then misses
// the sentence in the past ("The harbour froze in 1966"). Forms that are
// also common other words ("left", "found", "saw", "lay", "felt", "ground",
// "bound", "wound", "rose") are left out: mapping them would merge
// unrelated words.
var irregular = map[string]string{
	"arose": "arise", "arisen": "arise", "awoke": "awake", "awoken": "awake",
	"was": "be", "were": "be", "been": "be", "bore": "bear", "borne": "bear",
	"beat": "beat", "beaten": "beat", "became": "become", "began": "begin", "begun": "begin",
	"bent": "bend", "bet": "bet", "bitten": "bite", "bled": "bleed",
	"blew": "blow", "blown": "blow", "broke": "break", "broken": "break", "bred": "breed",
	"brought": "bring", "built": "build", "burnt": "burn", "burst": "burst",
	"bought": "buy", "caught": "catch", "chose": "choose", "chosen": "choose",
	"clung": "cling", "came": "come", "cost": "cost", "crept": "creep",
	"dealt": "deal", "dug": "dig", "did": "do", "done": "do", "drew": "draw", "drawn": "draw",
	"dreamt": "dream", "drank": "drink", "drunk": "drink", "drove": "drive", "driven": "drive",
	"ate": "eat", "eaten": "eat", "fallen": "fall", "fed": "feed", "fought": "fight",
	"fled": "flee", "flung": "fling", "flew": "fly", "flown": "fly", "forbade": "forbid",
	"forbidden": "forbid", "forecast": "forecast", "foresaw": "foresee", "foreseen": "foresee",
	"forgot": "forget", "forgotten": "forget", "forgave": "forgive", "forgiven": "forgive",
	"froze": "freeze", "frozen": "freeze", "got": "get", "gotten": "get", "gave": "give",
	"given": "give", "went": "go", "gone": "go", "grew": "grow", "grown": "grow",
	"hung": "hang", "had": "have", "has": "have", "heard": "hear", "hid": "hide",
	"hidden": "hide", "held": "hold", "hurt": "hurt", "kept": "keep", "knelt": "kneel",
	"knew": "know", "known": "know", "laid": "lay", "led": "lead", "leapt": "leap",
	"learnt": "learn", "lent": "lend", "lain": "lie", "lit": "light", "lost": "lose",
	"made": "make", "meant": "mean", "met": "meet", "mistook": "mistake", "mistaken": "mistake",
	"overcame": "overcome", "overtook": "overtake", "overtaken": "overtake",
	"paid": "pay", "proven": "prove", "quit": "quit", "rode": "ride", "ridden": "ride",
	"rang": "ring", "rung": "ring", "risen": "rise", "ran": "run", "said": "say",
	"seen": "see", "sought": "seek", "sold": "sell", "sent": "send", "shook": "shake",
	"shaken": "shake", "shone": "shine", "shot": "shoot", "shown": "show", "shrank": "shrink",
	"shrunk": "shrink", "shut": "shut", "sang": "sing", "sung": "sing", "sank": "sink",
	"sunk": "sink", "sat": "sit", "slept": "sleep", "slid": "slide", "spoke": "speak",
	"spoken": "speak", "sped": "speed", "spent": "spend", "spun": "spin", "spread": "spread",
	"sprang": "spring", "sprung": "spring", "stood": "stand", "stole": "steal", "stolen": "steal",
	"stuck": "stick", "stung": "sting", "strove": "strive", "striven": "strive", "struck": "strike",
	"stricken": "strike", "swore": "swear", "sworn": "swear", "swept": "sweep", "swam": "swim",
	"swum": "swim", "swung": "swing", "took": "take", "taken": "take", "taught": "teach",
	"tore": "tear", "torn": "tear", "told": "tell", "thought": "think", "threw": "throw",
	"thrown": "throw", "understood": "understand", "undertook": "undertake", "undertaken": "undertake",
	"underwent": "undergo", "undergone": "undergo", "upheld": "uphold", "woke": "wake",
	"woken": "wake", "wore": "wear", "worn": "wear", "wove": "weave", "woven": "weave",
	"wept": "weep", "won": "win", "withdrew": "withdraw", "withdrawn": "withdraw",
	"wrote": "write", "written": "write",
}
