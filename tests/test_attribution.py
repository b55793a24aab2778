"""Attribution spans: a table of hard cases the team wrote, and quote following / coreference."""

from __future__ import annotations

import pytest

from biaskit.attribution import extract_article, person_name
from biaskit.segment import segment


def _extract(doc: str):
    sents = [(s.start, s.end) for s in segment(doc)]
    return sents, extract_article(doc, sents)


# (id, text, sentence index, expected kind set, source, cue) — source None: no source expected
HARD_CASES = [
    (
        "said-end",
        "“We will rebuild,” Mayor Ana Ruiz said.",
        0,
        {"direct_quote"},
        "Mayor Ana Ruiz",
        "said",
    ),
    ("said-inverted", "“We will rebuild,” said Ana Ruiz.", 0, {"direct_quote"}, "Ana Ruiz", "said"),
    (
        "colon-quote",
        "The minister said: “Prices will fall.”",
        0,
        {"direct_quote"},
        "The minister",
        "said",
    ),
    (
        "reported-no-that",
        "Gen. Lee said on Monday his troops had crossed the river.",
        0,
        {"reported_speech"},
        "Gen. Lee",
        "said",
    ),
    (
        "reported-that",
        "The company said that profits rose.",
        0,
        {"reported_speech"},
        "The company",
        "said",
    ),
    (
        "appositive",
        "Lina Marsh, the group’s spokeswoman, denied that troops had entered.",
        0,
        {"reported_speech"},
        "Lina Marsh, the group’s spokeswoman",
        "denied",
    ),
    (
        "according-to",
        "According to the health ministry, 40 people died.",
        0,
        {"according_to"},
        "the health ministry",
        "According to",
    ),
    (
        "according-to-end",
        "Exports fell 4%, according to figures from the customs office.",
        0,
        {"according_to"},
        "figures from the customs office",
        "according to",
    ),
    (
        "report-found",
        "A 2025 audit report found that half the pumps failed.",
        0,
        {"according_to"},
        "A 2025 audit report",
        "found",
    ),
    ("hedge", "The general reportedly fled to the coast.", 0, {"hedged"}, None, "reportedly"),
    (
        "hedge-said-to",
        "The militia is said to have 500 fighters.",
        0,
        {"hedged"},
        None,
        "is said to",
    ),
    (
        "anonymous-long",
        "A senior official who asked not to be named because the talks were private said a deal was close.",
        0,
        {"reported_speech", "anonymous"},
        "A senior official who asked not to be named because the talks were private",
        "said",
    ),
    (
        "anonymous-according",
        "The bid was withdrawn, according to people familiar with the matter.",
        0,
        {"according_to", "anonymous"},
        "people familiar with the matter",
        "according to",
    ),
    (
        "headline-colon",
        "Minister: prices will fall by summer",
        0,
        {"reported_speech"},
        "Minister",
        ":",
    ),
    (
        "partial-quote",
        "She said the plan was “dead on arrival.”",
        0,
        {"reported_speech", "direct_quote"},
        "She",
        "said",
    ),
    (
        "headline-colon-topic",  # the verb after "on" is part of the topic, not the cue
        "Senator on leaked tape: prices will soar",
        0,
        {"reported_speech"},
        "Senator",
        ":",
    ),
    (
        "headline-colon-then-speaker",  # the speaker is the source, not the label
        "Minister: prices will “soar”, he says.",
        0,
        {"reported_speech", "direct_quote"},
        "he",
        "says",
    ),
    ("signature", "“We won big!” ― Jane Doe, May 4.", 0, {"direct_quote"}, "Jane Doe", "―"),
    ("speaker-label", "Intro.\n\nMAYOR RUIZ: We will rebuild the pier.", 1, {"direct_quote"}, "MAYOR RUIZ", ":"),
    ("naming-quote", "Critics called the plan “a giveaway” to developers.", 0, {"reported_speech", "direct_quote"}, "Critics", "called"),
    ("plural-speaker", "Costs have tripled since January, brokers told the paper.", 0, {"reported_speech"}, "brokers", "told"),
    ("verb-in-phrase", "Critics say the fire plan came too late.", 0, {"reported_speech"}, "Critics", "say"),
    ("nested-quote", "“He told me ‘never again,’” Ruiz said.", 0, {"direct_quote"}, "Ruiz", "said"),
    # attribution pass of 2026-11-25 (issues #6, #11): one row per rule family
    ("passive-by-agent", "The pier plan was criticised by the fishermen’s union on Monday.", 0,
     {"reported_speech"}, "the fishermen’s union", "criticised"),
    ("coordinated-and-said", "The judge rubbed his chin and then said the case was closed.", 0,
     {"reported_speech"}, "The judge", "said"),
    ("participle-saying", "The mayor toured the pier on Friday, saying repairs would take a year.",
     0, {"reported_speech"}, "The mayor", "saying"),
    ("belief-clause", "Tour operators fear visitors could stay away this summer.", 0,
     {"reported_speech"}, "Tour operators", "fear"),
    ("announce-that", "The company announced on Monday that it would close two plants.", 0,
     {"reported_speech"}, "The company", "announced"),
    ("anonymous-clause", "A county official who was not authorized to speak publicly said two more "
     "cases were found.", 0, {"reported_speech", "anonymous"},
     "A county official who was not authorized to speak publicly", "said"),
    ("age-appositive", "Ana Ruiz, 45, a nurse from Harbor City, said the ward was full.", 0,
     {"reported_speech"}, "Ana Ruiz, 45, a nurse from Harbor City", "said"),
    ("party-parenthetical", "Sen. Jane Roe (D-Ohio) said the bill would pass.", 0,
     {"reported_speech"}, "Sen. Jane Roe (D-Ohio)", "said"),
    ("poll-share", "Around that time, 47 percent said they would vote for her.", 0,
     {"reported_speech"}, "47 percent", "said"),
    ("headline-colon-quote", "Shopkeeper: ‘They did nothing’ as flood waters recede", 0,
     {"direct_quote"}, "Shopkeeper", ":"),
    ("researchers-found", "The researchers found that half the pumps failed.", 0,
     {"reported_speech"}, "The researchers", "found"),
    ("author-not-document", "The study’s lead author, Dr. Mele Ito, said the finding was robust.",
     0, {"reported_speech"}, "The study’s lead author, Dr. Mele Ito", "said"),
    ("verb-adverb-colon-quote", "Dr. Mele Ito said grimly: “One shock lands on another.”", 0,
     {"direct_quote"}, "Dr. Mele Ito", "said"),
    ("naming-call", "Supporters call the levy a lifeline for the ferry.", 0, {"reported_speech"},
     "Supporters", "call"),
]


@pytest.mark.parametrize(
    ("text", "i", "kinds", "source", "cue"),
    [c[1:] for c in HARD_CASES],
    ids=[c[0] for c in HARD_CASES],
)
def test_hard_cases(text: str, i: int, kinds: set[str], source: str | None, cue: str) -> None:
    sents, atts = _extract(text)
    assert atts[i], f"no attribution found in {text!r}"
    a = atts[i][0]
    assert set(a.kind) == kinds
    assert a.texts.get("cue") == cue
    assert a.texts.get("source") == source


NOT_ATTRIBUTIONS = [
    ("said-aforementioned", "The said property was sold in May."),
    ("that-said", "That said, the bridge reopened on time."),
    ("modal", "Prices may rise if the tariff passes."),
    ("state-noun", "The State Department issued a travel warning."),
    ("according-to-plan", "The bridge opened on time and on budget."),
    ("estimated-adjective", "An estimated 500 people attended the rally."),
    ("report-noun", "The report arrived late on Friday."),
    ("promo-label", "READ MORE: Storm hits the coast"),
    # guidelines §2 decision 4: an announced act is reported as fact
    ("announced-act", "The city announced a curfew on Friday."),
    ("declared-act", "Mayor Dolores Whitcomb declared a state of emergency on Tuesday."),
    ("passive-no-agent", "Teresa Lind was declared the winner on Thursday."),
    ("belief-to-infinitive", "The board hopes to name a new chief executive by summer."),
    ("according-to-need", "The doses were distributed according to need."),
    ("according-to-plan-comma", "According to plan, the launch went ahead."),
    ("so-called-opinion", "The so-called reform bill passed on Friday."),
    ("writer-first-person", "I say that up front because it matters."),
]


@pytest.mark.parametrize(
    "text", [c[1] for c in NOT_ATTRIBUTIONS], ids=[c[0] for c in NOT_ATTRIBUTIONS]
)
def test_not_attributions(text: str) -> None:
    _, atts = _extract(text)
    assert atts[0] == []


def test_multi_sentence_quote_takes_speaker_from_next_sentence() -> None:
    doc = "Officials met on Monday.\n\n“The plan failed. We will try again,” said Maria Lopez, the mayor."
    sents, atts = _extract(doc)
    first, second = atts[1], atts[2]
    assert first and first[0].rule == "quote_continuation"
    assert first[0].texts["source"] == second[0].texts["source"] == "Maria Lopez, the mayor"
    assert first[0].texts["content"] == "The plan failed"


def test_speaker_before_multi_sentence_quote() -> None:
    doc = "He said: “We won. The count is final.”"
    sents, atts = _extract(doc)
    assert atts[1] and atts[1][0].texts["source"] == "He"
    assert atts[1][0].texts["content"] == "The count is final"


def test_speaker_ending_with_colon_takes_the_quotation_of_the_next_paragraph() -> None:
    doc = (
        "Senator Dana Holm spoke after the vote. Holm added:\n\n"
        "“We are not going anywhere. Not now, not ever.”\n\nThe chamber adjourned."
    )
    sents, atts = _extract(doc)
    assert [doc[s:e] for s, e in sents][1] == "Holm added:"
    (lead,) = atts[1]
    assert lead.rule == "speaker_colon_quote" and lead.kind == ["direct_quote"]
    assert (lead.texts["source"], lead.texts["cue"]) == ("Holm", "added")
    assert lead.texts["content"] == "We are not going anywhere"
    assert lead.entity == "Dana Holm"
    for i, content in ((2, "We are not going anywhere"), (3, "Not now, not ever")):
        (a,) = atts[i]
        assert (a.rule, a.texts["source"], a.texts["content"]) == (
            "quote_continuation", "Holm", content
        )
    assert atts[4] == []
    # a one-sentence quotation after the colon is the speaker's too
    sents, atts = _extract("Holm added:\n\n“We are not going anywhere.”")
    assert [a.rule for a in atts[1]] == ["quote_sequel"]


@pytest.mark.parametrize(
    "doc",
    [
        "Highlights of the report:\n\n“Prices rose.”",  # a noun, nobody speaks
        "Key findings include:\n\n“Prices rose.”",
        "Holm added:\n\nThe vote was 51 to 49.",  # no quotation follows
        "He was asked:\n\n“Will you run again?”",  # the question is put to him
        "Smith was told by reporters:\n\n“You lost.”",
    ],
)
def test_colon_without_speaker_and_quotation_is_not_an_attribution(doc: str) -> None:
    sents, atts = _extract(doc)
    assert atts[0] == []


@pytest.mark.parametrize(
    ("doc", "source", "cue", "content"),
    [
        (
            "Party leaders are increasingly worried that young voters will stay home.",
            "Party leaders", "worried", "young voters will stay home",
        ),
        (
            "Aides remain confident that the governor will win.",
            "Aides", "confident", "the governor will win",
        ),
        (
            "Officials are unsure whether the bridge will reopen.",
            "Officials", "unsure", "whether the bridge will reopen",
        ),
        (  # adverbs between the copula and the adjective are not part of the source
            "She remains extraordinarily deeply confident that the bill will pass.",
            "She", "confident", "the bill will pass",
        ),
    ],
)
def test_attitude_after_a_copula_with_a_clause_is_a_belief(
    doc: str, source: str, cue: str, content: str
) -> None:
    sents, atts = _extract(doc)
    (a,) = atts[0]
    assert (a.kind, a.texts["source"], a.texts["cue"], a.texts["content"]) == (
        ["reported_speech"], source, cue, content
    )


@pytest.mark.parametrize(
    ("doc", "cue"),
    [
        ("The mayor is convinced the numbers were inflated.", "convinced"),
        ("Voters are worried that the plant will close.", "worried"),
        ("The senator remains confident the bill will pass.", "confident"),
    ],
)
def test_copula_and_attitude_phrase_cue_is_the_attitude_word(doc: str, cue: str) -> None:
    # the lexicon phrases "is convinced", "are worried that" match; the cue is minimal (v3.2)
    sents, atts = _extract(doc)
    (a,) = atts[0]
    assert a.texts["cue"] == cue
    assert doc[a.cue[0] : a.cue[1]] == cue


@pytest.mark.parametrize(
    "doc",
    [
        "Concerned residents packed the hall.",
        "The outlook is uncertain.",
        "She made sure that the vote was counted.",
        "The senator is concerned about the deficit.",
        # "so … that" is a result clause, not a belief
        "The results were so uncertain that officials delayed the count.",
        "The senator was so afraid that she hid in a closet.",
    ],
)
def test_attitude_adjective_without_copula_and_clause_is_no_cue(doc: str) -> None:
    sents, atts = _extract(doc)
    assert atts[0] == []


def test_attitude_adjective_is_not_a_quote_cue() -> None:
    # "hopeful" is a noun here ("Senate hopeful"): the quotation has no speaker in the sentence
    doc = "“Where else will they go?” Senate hopeful caught on tape mocking workers"
    sents, atts = _extract(doc)
    assert all(a.texts.get("cue") != "hopeful" for x in atts for a in x)


def test_pronoun_and_surname_resolve_to_full_name() -> None:
    doc = (
        "Marshal Khalifa Haftar said the offensive had begun. "
        "“The hour has come,” Haftar told a parade. "
        "“We will not stop,” he added."
    )
    _, atts = _extract(doc)
    assert atts[0][0].entity == "Khalifa Haftar"
    assert atts[1][0].entity == "Khalifa Haftar"
    assert atts[2][0].entity == "Khalifa Haftar"


def test_unbalanced_quotes_do_not_raise() -> None:
    doc = "“Unclosed quote, said nobody. Another ” stray mark” here, he said."
    sents, atts = _extract(doc)
    assert len(atts) == len(sents)


def test_later_mention_of_anonymous_source_stays_anonymous() -> None:
    doc = (
        "A senior official who asked not to be named said a deal was close. "
        "The official said talks would resume on Monday."
    )
    _, atts = _extract(doc)
    assert atts[1][0].source_type == "anonymous"
    assert set(atts[1][0].kind) == {"reported_speech", "anonymous"}


def test_inverted_speech_takes_content_before_source() -> None:
    _, atts = _extract("Prices rose 4% in March, the statistics office said.")
    assert atts[0][0].texts["content"] == "Prices rose 4% in March"


def test_reduced_passive_is_not_a_second_attribution() -> None:
    _, atts = _extract("Growth slowed, according to a study reported by the bureau.")
    assert [a.rule for a in atts[0]] == ["according_to"]


def test_addressee_of_told_is_not_content() -> None:
    _, atts = _extract("A naval officer told Northwire on Monday that the port was closed.")
    assert atts[0][0].texts["content"] == "the port was closed"


def test_according_to_source_keeps_its_anonymity_clause() -> None:
    doc = (
        "The regulator opened an inquiry, according to two people familiar with the matter "
        "who were not authorized to discuss it publicly."
    )
    _, atts = _extract(doc)
    a = atts[0][0]
    assert a.texts["source"].endswith("who were not authorized to discuss it publicly")
    assert set(a.kind) == {"according_to", "anonymous"}
    assert [x.rule for x in atts[0]] == ["according_to"]  # "discuss" is not a second cue


def test_document_head_noun() -> None:
    _, atts = _extract("Payrolls rose by 41,000 last month, the Bureau of Labor Statistics said.")
    assert atts[0][0].source_type == "organisation"
    assert atts[0][0].kind == ["reported_speech"]


def test_person_name() -> None:
    assert person_name("Its spokesman, Lina Marsh") == "Lina Marsh"
    assert person_name("Gen. Anton Reyes, the army chief") == "Anton Reyes"
    assert person_name("officials") is None


# rules added after the error analysis of issue 6 (corpus train/dev splits); sentences written
# by the team. (id, document, sentence index, rule, kinds, source, cue, content, frame)
RULE_CASES = [
    ("quote-sequel",
     "“The money is real,” said Ana Ruiz, a port analyst. “What the market prices is the delay.”",
     1, "quote_sequel", {"direct_quote"}, "Ana Ruiz, a port analyst", "said",
     "What the market prices is the delay", None),
    ("clause-frame-weak-verb", "Observers note that the ferry ran late.", 0, "reported_speech",
     {"reported_speech"}, "Observers", "note", "the ferry ran late", "that"),
    ("adverb-before-verb", "Economists broadly agree that rates will fall.", 0,
     "reported_speech", {"reported_speech"}, "Economists", "agree", "rates will fall", "that"),
    ("closing-clause-weak-verb", "Ferry use fell 8% in May, the authors report.", 0,
     "reported_speech", {"reported_speech"}, "the authors", "report", "Ferry use fell 8% in May",
     "final"),
    ("closing-clause-act-verb",
     "Keystone will close two depots, the Harbor Tribune reported on Tuesday.", 0,
     "reported_speech", {"reported_speech"}, "the Harbor Tribune", "reported",
     "Keystone will close two depots", "final"),
    ("told-a-briefing", "“We stand ready,” she told a briefing in Velgrad.", 0,
     "quote_then_speaker", {"direct_quote"}, "she", "told", "We stand ready", None),
    ("title-after-verb", "“We checked every file,” said Dr. Ana Ruiz.", 0, "quote_then_speaker",
     {"direct_quote"}, "Dr. Ana Ruiz", "said", "We checked every file", None),
    ("dash-appositive", "Tomas Vell — the port’s former manager — insists the cranes were safe.",
     0, "reported_speech", {"reported_speech"}, "Tomas Vell — the port’s former manager",
     "insists", "the cranes were safe", None),
    ("relative-clause-speaker",
     "Hundreds marched behind Dana Okoro, who says the fares doubled in a year.", 0,
     "reported_speech", {"reported_speech"}, "Dana Okoro", "says", "the fares doubled in a year",
     None),
    ("estimate-put", "Police put the crowd at 18,000.", 0, "estimate", {"reported_speech"},
     "Police", "put", "the crowd at 18,000", None),
    ("estimate-document", "An independent count put the number at about 40,000.", 0, "estimate",
     {"according_to"}, "An independent count", "put", "the number at about 40,000", None),
    ("quoted-object", "The ministry blamed “outside agitators.”", 0, "speaker_colon_quote",
     {"direct_quote", "reported_speech"}, "The ministry", "blamed", "outside agitators", None),
    ("name-with-and", "Customs and Border Protection said the load was cocaine.", 0,
     "reported_speech", {"reported_speech"}, "Customs and Border Protection", "said",
     "the load was cocaine", None),
    ("document-with-time", "A damning report two years ago warned the rooms had no cameras.", 0,
     "reported_speech", {"according_to"}, "A damning report two years ago", "warned",
     "the rooms had no cameras", None),
    ("it-is-the-study",
     "A 2019 study found that wards were short-staffed. It also found that night shifts ran long.",
     1, "finding_verb", {"according_to"}, "It", "found", "night shifts ran long", None),
    ("appositive-then-long-clause",
     "The port’s harbourmaster, Ines Calder, said the crane had struck a shed of the Northgate "
     "Terminal.", 0, "reported_speech", {"reported_speech"},
     "The port’s harbourmaster, Ines Calder", "said",
     "the crane had struck a shed of the Northgate Terminal", None),
    ("closing-clause-bare-noun",
     "Record number of migrants cross the strait in August, coastguard says", 0,
     "reported_speech", {"reported_speech"}, "coastguard", "says",
     "Record number of migrants cross the strait in August", "final"),
    ("closing-finding",
     "Victims are often too ashamed to come forward, researchers have found.", 0,
     "finding_verb", {"reported_speech"}, "researchers", "found",
     "Victims are often too ashamed to come forward", "final"),
    ("document-verb-without-auxiliary", "A survey of 40 harbours has found that most are silting.",
     0, "document_verb", {"according_to"}, "A survey of 40 harbours", "found",
     "most are silting", None),
    ("inverted-title", "Volunteers served 150 meals, said the Rev. Luis Ortega.", 0,
     "reported_speech", {"reported_speech"}, "the Rev. Luis Ortega", "said",
     "Volunteers served 150 meals", None),
    ("relative-clause-in-source", "Scientists who checked 1,100 reefs found that coral cover fell.",
     0, "finding_verb", {"reported_speech"}, "Scientists who checked 1,100 reefs", "found",
     "coral cover fell", None),
    ("distancing-participle",
     "Agents raided a seafood plant accused of hiring workers with fake papers.", 0, "hedge",
     {"hedged"}, None, "accused",
     "Agents raided a seafood plant accused of hiring workers with fake papers", None),
    ("said-to-have", "Reporters met three soldiers said to have been wounded.", 0, "hedge",
     {"hedged"}, None, "said to", "Reporters met three soldiers said to have been wounded", None),
    ("documents-report", "Dozens of later studies have reported similar associations.", 0,
     "reported_speech", {"according_to"}, "Dozens of later studies", "reported",
     "similar associations", None),
    ("document-verb-of-reporting-lexicon",
     "The regulator’s own modelling suggests they could, but not soon.", 0, "document_verb",
     {"according_to"}, "The regulator’s own modelling", "suggests", "they could, but not soon",
     None),
    ("estimate-verb", "Police estimated the crowd at about 1,800.", 0, "estimate",
     {"reported_speech"}, "Police", "estimated", "the crowd at about 1,800", None),
    ("anonymity-appositive",
     "One planner, who asked not to be identified, told Meridian that the wall was late.", 0,
     "reported_speech", {"reported_speech", "anonymous"},
     "One planner, who asked not to be identified", "told", "the wall was late", None),
    ("what-critics-call",
     "The council pressed ahead with what critics call a giveaway to the port operator.", 0,
     "what_call", {"reported_speech"}, "critics", "call", "a giveaway to the port operator",
     None),
    ("what-described-as",
     "Two aides were sacked over what the ministry described as leaks to the press, officials said.",
     0, "what_call", {"reported_speech"}, "the ministry", "described", "leaks to the press",
     None),
    ("what-called-quoted-label",
     "The port rejected what the union called an “unlawful and reckless” lockout.", 0,
     "what_call", {"reported_speech", "direct_quote"}, "the union", "called",
     "an “unlawful and reckless” lockout", None),
    ("what-it-called-quote",
     "The ministry denied the report and rejected what it called “a smear.”", 0,
     "speaker_colon_quote", {"direct_quote", "reported_speech"}, "it", "called", "a smear", None),
    ("as-x-put-it", "As the harbourmaster put it, the pier “was never built for this.”", 0,
     "put_it", {"reported_speech", "direct_quote"}, "the harbourmaster", "put",
     "the pier “was never built for this.”", None),
    ("put-it-colon", "The harvest failed. One farmer put it bluntly: the rain came too late.", 1,
     "put_it",
     {"reported_speech"}, "One farmer", "put", "the rain came too late", None),
    ("place-list-in-source",
     "Officials from Kenya, Uganda and Tanzania said the rains had failed.", 0,
     "reported_speech", {"reported_speech"}, "Officials from Kenya, Uganda and Tanzania", "said",
     "the rains had failed", None),
    ("headline-speaker-quote", "Ferryman: ‘Nobody warned us’ as the river burst its banks", 0,
     "headline_colon", {"direct_quote"}, "Ferryman", ":", "Nobody warned us", None),
]


@pytest.mark.parametrize(
    ("doc", "i", "rule", "kinds", "source", "cue", "content", "frame"),
    [c[1:] for c in RULE_CASES],
    ids=[c[0] for c in RULE_CASES],
)
def test_rule_cases(
    doc: str, i: int, rule: str, kinds: set[str], source: str, cue: str, content: str,
    frame: str | None,
) -> None:
    _, atts = _extract(doc)
    a = atts[i][0]
    assert (a.rule, set(a.kind), a.frame) == (rule, kinds, frame)
    want = {"source": source, "cue": cue, "content": content}
    assert a.texts == {k: v for k, v in want.items() if v is not None}


RULE_NEGATIVES = [
    # a wholly quoted sentence after a sentence without a quoted speaker has no speaker
    ("quote-without-speaker", "The ferry left at noon. “Nothing is settled.”", 1),
    # "agreed last year to cut": an infinitive, not a closing reporting clause
    ("not-closing-clause", "By contrast, the union agreed last year to cut hours.", 0),
    ("valued-reduced-passive", "A deal valued at $2bn was signed.", 0),
    ("put-at-risk", "The storm put 300 homes at risk.", 0),
    # a link to another story is boilerplate (guidelines §3), not a headline attribution
    ("link-label", "READ MORE: Voskova says the scandal was staged", 0),
    # no attributed content: an emotional state, not speech
    ("no-content", "Locals were fuming last night.", 0),
    # no speaker: a negative quantifier, a modal, a clause as subject
    ("nobody", "Nobody is claiming the two things are linked.", 0),
    ("modal-subject", "Patriotic voters should ask why the bridge closed.", 0),
    ("clause-subject", "None of that changes what the senator said.", 0),
    ("participle-with-day", "The agreement, announced Sunday, raises the minimum salary.", 0),
    # "a group called “X”" names the group; nobody speaks
    ("naming-participle", "Rebels from a militia called the “Night Wolves” crossed the river.", 0),
    # a proper name, not a characterisation; the writer's own label
    ("what-calls-a-name", "The jewels form part of what the museum calls the Lamont Hoard.", 0),
    ("what-we-call", "Rates are in what we call a holding pattern.", 0),
    ("put-it-on", "He put it on the table and left.", 0),
    ("as-i-put-it", "As I put it last week, the rain came too late.", 0),
]


@pytest.mark.parametrize(
    ("doc", "i"), [c[1:] for c in RULE_NEGATIVES], ids=[c[0] for c in RULE_NEGATIVES]
)
def test_rule_negatives(doc: str, i: int) -> None:
    _, atts = _extract(doc)
    assert atts[i] == []


def test_quote_sequel_keeps_a_source_cited_inside_the_quote() -> None:
    doc = "“We checked every file,” said Dr. Ana Ruiz. “The records show the pumps failed twice.”"
    _, atts = _extract(doc)
    assert [a.rule for a in atts[1]] == ["quote_sequel", "document_verb"]
    assert atts[1][1].texts["source"] == "The records"


def test_belief_inside_reported_speech_is_one_attribution() -> None:
    _, atts = _extract("He said he expects a hearing in May.")
    assert [a.texts["cue"] for a in atts[0]] == ["said"]


def test_inner_speaker_starts_after_the_outer_verb() -> None:
    # (an inner verb with a clause of its own; "said officers warned the crowd" is one
    # attribution: test_reporting_verb_opening_the_reported_clause_is_part_of_it)
    _, atts = _extract("Mayor Ana Ruiz said officers warned that the crowd was too big.")
    assert [(a.texts["source"], a.texts["cue"]) for a in atts[0]] == [
        ("Mayor Ana Ruiz", "said"), ("officers", "warned")
    ]


def test_content_ends_where_another_speaker_begins() -> None:
    doc = "Valdoria calls the deal a gesture of goodwill, while Lindmark has called it a first step."
    _, atts = _extract(doc)
    got = {a.texts["cue"]: (a.texts["source"], a.texts["content"]) for a in atts[0]}
    assert got == {
        "calls": ("Valdoria", "the deal a gesture of goodwill"),
        "called": ("Lindmark", "it a first step"),
    }


def test_according_to_source_is_not_a_second_speaker() -> None:
    _, atts = _extract("About 6,000 people live there, according to census estimates.")
    assert [a.rule for a in atts[0]] == ["according_to"]


def test_relative_clause_after_according_to_is_the_same_source() -> None:
    doc = "Officers were injured, according to the Interior Ministry, which said the riot was planned."
    _, atts = _extract(doc)
    assert [(a.rule, a.texts["source"], a.texts["content"]) for a in atts[0]] == [
        ("according_to", "the Interior Ministry", "Officers were injured"),
        ("reported_speech", "the Interior Ministry", "the riot was planned"),
    ]


def test_it_after_a_document_subject_is_the_document() -> None:
    doc = (
        "The landmark study, published in 2002, analysed records from 168 hospitals. "
        "It found that each extra patient raised the risk."
    )
    _, atts = _extract(doc)
    a = atts[1][0]
    assert (a.texts["source"], a.source_type, a.kind) == ("It", "document", ["according_to"])


def test_pronoun_after_an_anonymous_source_stays_anonymous() -> None:
    doc = (
        "One engineer, who asked not to be named, said the change broke the system. "
        "“Nobody could undo it,” he claimed."
    )
    _, atts = _extract(doc)
    assert atts[0][0].texts["source"] == "One engineer, who asked not to be named"
    assert (atts[1][0].source_type, set(atts[1][0].kind)) == (
        "anonymous", {"direct_quote", "anonymous"}
    )


def test_later_mention_of_people_familiar_stays_anonymous() -> None:
    doc = (
        "Two people familiar with the talks said a deal was near. "
        "One of the people said the bank wanted assurances."
    )
    _, atts = _extract(doc)
    assert atts[1][0].source_type == "anonymous"


def test_estimate_shares_its_subject_with_a_coordinated_verb() -> None:
    doc = "The company put the figure at fewer than 2,000 and said care was not disrupted."
    _, atts = _extract(doc)
    assert [(a.rule, a.texts["source"], a.texts["cue"]) for a in atts[0]] == [
        ("estimate", "The company", "put"), ("coordinated_speech", "The company", "said")
    ]


def test_naming_quote_beside_according_to() -> None:
    doc = "A ministry spokeswoman called the ruling “an attack on the port,” according to the Tribune."
    _, atts = _extract(doc)
    naming = [a for a in atts[0] if a.rule == "naming_quote"]
    assert [(a.texts["source"], a.texts["cue"], a.texts["content"]) for a in naming] == [
        ("A ministry spokeswoman", "called", "an attack on the port")
    ]
    assert {k for a in atts[0] for k in a.kind} == {"according_to", "reported_speech", "direct_quote"}


def test_what_call_inside_according_to_is_one_attribution() -> None:
    # the label belongs to what the report says: only the outer attribution
    doc = "The region is in what economists call a slump, according to a report by the bank."
    _, atts = _extract(doc)
    assert [(a.rule, a.texts["cue"]) for a in atts[0]] == [("according_to", "according to")]


def test_place_list_needs_a_preposition_inside_the_sentence() -> None:
    # "In Paris, …" opens the sentence: the comma ends an adverbial, not a list in the source
    doc = "In Paris, Smith and Jones said the deal was dead."
    _, atts = _extract(doc)
    assert atts[0][0].texts["source"] == "Smith and Jones"


def test_reporting_verb_opening_the_reported_clause_is_part_of_it() -> None:
    # "officers warned the group" is what the chief said: one attribution; a verb with a
    # clause of its own ("had argued that …") is a second one
    _, atts = _extract("The police chief said officers warned the group three times.")
    assert [a.texts["cue"] for a in atts[0]] == ["said"]
    _, atts = _extract("One of them said Halvorsen had argued that the sales were real.")
    assert sorted(a.texts["cue"] for a in atts[0]) == ["argued", "said"]


def test_press_release_dateline_is_not_part_of_the_source() -> None:
    doc = (
        "AUSTIN, Texas, April 15, 2026 /PR Newsline/ -- Sentinel Arc Inc., a fraud-data firm, "
        "today announced that its platform helped the police."
    )
    _, atts = _extract(doc)
    assert atts[0][0].texts["source"] == "Sentinel Arc Inc., a fraud-data firm"


@pytest.mark.parametrize(
    "text",
    ["last night", "on Monday", "Locals were fuming last night", "onmonday", "late evening",
     "early this week", "", "it", "Mondays are slow", "this year prices rose", "at night, ok"],
)
def test_has_words_matches_the_substitution(text: str) -> None:
    # the fast path must agree with removing time words and searching for a long word
    from biaskit.attribution import _TIME_WORDS, _WORD3, _has_words

    assert _has_words(text) == bool(_WORD3.search(_TIME_WORDS.sub("", text)))


@pytest.mark.parametrize(
    ("source", "stype"),
    [
        ("Meridell chief financial officer Patrick Nyland", "person"),
        ("Port Authority spokesman John Reyes", "person"),
        ("its lawyer Ana Ruiz", "person"),
        # a name after a function word is an organisation or the head of a document
        ("officials from the Harbor City Council", "organisation"),
        ("a report by the Harbor Tribune", "document"),
        ("the port’s harbourmaster", "role"),
    ],
)
def test_description_ending_in_a_name_is_a_person(source: str, stype: str) -> None:
    from biaskit.attribution import _source_type

    assert _source_type(source) == stype


def test_data_cited_by_a_speaker_are_part_of_what_is_said() -> None:
    # "said the data showed …": the speaker is the source; the data are what they cite
    doc = "Ana Ruiz, a partner at the fund, said the order data showed “real demand.”"
    _, atts = _extract(doc)
    assert [(a.texts["source"], a.texts["cue"]) for a in atts[0]] == [
        ("Ana Ruiz, a partner at the fund", "said")
    ]
    doc = "A police source told the Tribune that camera footage showed two men at the door."
    _, atts = _extract(doc)
    assert [a.texts["cue"] for a in atts[0]] == ["told"]


def test_said_nothing_reports_no_content() -> None:
    _, atts = _extract("The ministry said nothing about the fire at the depot.")
    assert atts[0] == []


@pytest.mark.parametrize(
    "filler",
    ["— " * 3000, ", " * 3000, "a — b — " * 1500, "a, b, " * 1500],
    ids=["dash-run", "comma-run", "dash-appositives", "comma-list"],
)
def test_long_separator_runs_before_a_verb_do_not_recurse(filler: str) -> None:
    """Appositive look-back is bounded: no RecursionError on runs of dashes or commas."""
    from biaskit.attribution import extract_article

    doc = "Officials " + filler + "said the plan failed."
    atts = extract_article(doc, [(0, len(doc))])
    assert isinstance(atts, list)


# --- transcripts (guidelines §2, v3.2): speaker labels, turns, the outlet's own questions
_TRANSCRIPT = (
    "Rep. Ida Pike sat down with the Ledger on Tuesday.\n\n"
    "LEDGER: Do you think the press has treated your rival fairly?\n\n"
    "PIKE: No. They have been unfair to him for a year. “Enough,” Kessler said.\n\n"
    "LEDGER: Democrats say the cut means layoffs.\n\n"
    "PIKE: That is wrong.\n"
)


def _transcript(outlet: str | None) -> list[tuple[str, list[tuple[str, str | None, str]]]]:
    sents = [(s.start, s.end) for s in segment(_TRANSCRIPT)]
    out = extract_article(_TRANSCRIPT, sents, outlet=outlet)
    return [
        (_TRANSCRIPT[s:e], [(a.rule, a.texts.get("source"), a.texts.get("content")) for a in atts])
        for (s, e), atts in zip(sents, out, strict=True)
    ]


def test_transcript_turns_take_the_label_and_the_outlet_label_is_its_own_voice() -> None:
    assert _transcript("The Liberty Ledger") == [
        ("Rep. Ida Pike sat down with the Ledger on Tuesday.", []),
        ("LEDGER: Do you think the press has treated your rival fairly?", []),
        ("PIKE: No.", [("transcript_label", "PIKE", "No")]),
        (
            "They have been unfair to him for a year.",
            [("speaker_turn", "PIKE", "They have been unfair to him for a year")],
        ),
        # another speaker's quotation ends the turn
        ("“Enough,” Kessler said.", [("quote_then_speaker", "Kessler", "Enough")]),
        # the outlet's question reports someone: that attribution stays, the label gives none
        (
            "LEDGER: Democrats say the cut means layoffs.",
            [("reported_speech", "Democrats", "the cut means layoffs")],
        ),
        ("PIKE: That is wrong.", [("transcript_label", "PIKE", "That is wrong")]),
    ]


def test_a_label_seen_once_gives_no_turn() -> None:
    # a label that heads one line stays `speaker_label`, and the next sentence of its line is
    # the writer's again
    doc = (
        "The storm flooded the harbour on Sunday.\n\n"
        "MAYOR OKAFOR: Donations go to the food bank. A service will be held on Monday.\n"
    )
    sents = [(s.start, s.end) for s in segment(doc)]
    out = extract_article(doc, sents)
    assert [[a.rule for a in atts] for atts in out] == [[], ["speaker_label"], []]


def test_service_kickers_are_not_speakers_even_when_repeated() -> None:
    # "ALSO READ:", "KEY POINTS:", "HOW TO HELP:" are the outlet's boxes, however often
    doc = (
        "Farm incomes fell for a third year.\n\n"
        "KEY POINTS: Farmers get Rs 6,000 more. Traders fear losses.\n\n"
        "ALSO READ: Congress vows protests over the farm bill\n\n"
        "KEY POINTS: The bill passed 52 to 48.\n\n"
        "ALSO READ: Why diesel prices keep rising\n\n"
        "HOW TO HELP: Donations go to the food bank.\n"
    )
    sents = [(s.start, s.end) for s in segment(doc)]
    rules = {a.rule for atts in extract_article(doc, sents) for a in atts}
    assert not rules & {"speaker_label", "transcript_label", "speaker_turn"}


def test_a_turn_keeps_the_sentences_own_source_first() -> None:
    doc = (
        "The bill's sponsor spoke to us.\n\n"
        "SMITH: We are close. The governor told me on Monday that he will sign it.\n\n"
        "SMITH: They will follow.\n"
    )
    sents = [(s.start, s.end) for s in segment(doc)]
    out = extract_article(doc, sents)
    told = out[2]
    assert [(a.rule, a.texts["source"]) for a in told] == [
        ("reported_speech", "The governor"),
        ("speaker_turn", "SMITH"),
    ]


def test_an_interviewee_who_shares_the_outlets_name_keeps_the_answers() -> None:
    # BLOOMBERG answers (Michael Bloomberg, in Bloomberg News): the word is the outlet's only
    # where its lines ask the questions and it is no one's surname in the text
    doc = (
        "Michael Bloomberg spoke to Bloomberg News about the race.\n\n"
        "Q: Will you run?\n\n"
        "BLOOMBERG: No. I have said so many times.\n\n"
        "Q: Why not?\n\n"
        "BLOOMBERG: The country needs younger leaders.\n"
    )
    sents = [(s.start, s.end) for s in segment(doc)]
    out = extract_article(doc, sents, outlet="Bloomberg News")
    assert [a.texts["source"] for atts in out for a in atts if a.rule == "transcript_label"] == [
        "BLOOMBERG",
        "BLOOMBERG",
    ]


def test_without_the_outlet_its_label_reads_as_a_speaker() -> None:
    # the rule cannot know "LEDGER" is the outlet: documented, and the label is a speaker
    rows = dict(_transcript(None))
    assert rows["LEDGER: Do you think the press has treated your rival fairly?"] == [
        ("transcript_label", "LEDGER", "Do you think the press has treated your rival fairly")
    ]
    # a different outlet does not silence it either
    assert dict(_transcript("Civic Broadcast"))[
        "LEDGER: Do you think the press has treated your rival fairly?"
    ][0][:2] == ("transcript_label", "LEDGER")


def test_question_and_answer_labels() -> None:
    doc = (
        "We reached the candidate by email on Friday.\n\n"
        "Q: Why repeal the rule?\n\n"
        "A: Because it was written in the capital. It does not fit a farm.\n\n"
        "Q: And the growers?\n\n"
        "A: They agree.\n"
    )
    sents = [(s.start, s.end) for s in segment(doc)]
    out = extract_article(doc, sents)
    got = [[(a.rule, a.texts.get("source"), a.source_type) for a in atts] for atts in out]
    assert got == [
        [],
        [],  # "Q:" is the outlet's question
        [("transcript_label", "A", "person")],
        [("speaker_turn", "A", "person")],
        [],
        [("transcript_label", "A", "person")],
    ]
    # "A:" without any "Q:" line is not a label ("A: the first option" in a list)
    doc = "The menu offered two options.\n\nA: Fish with rice.\n"
    sents = [(s.start, s.end) for s in segment(doc)]
    assert extract_article(doc, sents)[1] == []


def test_outlet_labels() -> None:
    from biaskit.attribution import _outlet_labels

    assert _outlet_labels("The Liberty Ledger") == ({"liberty ledger", "ll"}, {"liberty", "ledger"})
    assert _outlet_labels("capital-daily") == ({"capital daily", "cd"}, {"capital", "daily"})
    assert _outlet_labels("nytimes.com") == ({"nytimes"}, set())
    assert _outlet_labels("NPR") == ({"npr"}, set())
    # an anonymised outlet "A" must not silence the answers of a Q&A
    assert _outlet_labels("A") == (set(), set())
    assert _outlet_labels(None) == (frozenset(), frozenset())
