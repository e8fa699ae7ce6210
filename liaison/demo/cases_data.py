"""About 300 invented demo cases for the two demo hospitals, built from a bank of hand-written scenarios.

Every person, phone number, address and account here is invented. Phone numbers are in the UK Ofcom drama
ranges (01632 960xxx, 07700 900xxx) and the US 555-01xx fictional range; emails use example.com/example.net.
The output is deterministic: one ``random.Random(2026)`` drives every choice about the cases, and a second,
``random.Random(4052)``, their history (when each was acknowledged and answered, the outcome, the few referred
to an outside body or reopened; see ``_histories``), so adding to the history leaves the cases as they were.

Each scenario in ``SCENARIO_BANK`` has a header line
``== key sites types depts voice age tone [options]``, the account template (joined into one paragraph), then
``x:``/``y:`` lines (alternative fillings for ``{x}``/``{y}``, separated by `` | ``), ``>`` lines (what the
complainant wants) and ``!`` lines (issues: ``category severity stage staff_group [@dept] | summary``).
Sites are B (both), R (RGH) or H (HPM); voice is self, rep (someone speaks for the patient) or either.
"""

from __future__ import annotations

import copy
import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from liaison.demo import data

_RGH, _HPM = "RGH", "HPM"
DEPARTMENT_CODES: dict[str, set[str]] = {s["code"]: {code for _, code in s["departments"]} for s in data.SITES}
_DEPT_NAMES: dict[tuple[str, str], str] = {
    (s["code"], code): name for s in data.SITES for name, code in s["departments"]
}

# Abstract department -> per site (department code, ward or area names used in accounts).
DEPTS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "ed": {
        _RGH: ("ED", ("A&E", "the Emergency Department", "majors in A&E", "the A&E assessment area")),
        _HPM: ("EM", ("the ER", "the Emergency Department", "the ER fast track")),
    },
    "medicine": {
        _RGH: ("AMU", ("the Acute Medical Unit", "AMU", "Ward 12", "Larch Ward")),
        _HPM: ("IM", ("4 West", "4 East", "the medical floor", "3 South")),
    },
    "elderly": {
        _RGH: ("COOP", ("Willow Ward", "Beech Ward", "Hawthorn Ward", "Aspen Ward")),
        _HPM: ("IM", ("4 West", "the senior care unit on 3 North", "3 North")),
    },
    "cardiac": {
        _RGH: ("CARD", ("the Coronary Care Unit", "Ward 7", "the cardiac ward")),
        _HPM: ("CARD", ("the cardiac step-down unit", "7 North", "the cardiac care unit")),
    },
    "surgery": {
        _RGH: ("GSURG", ("Kestrel Ward", "the surgical assessment unit", "Merlin Ward")),
        _HPM: ("SURG", ("5 North", "the surgical floor", "5 South")),
    },
    "ortho": {
        _RGH: ("T&O", ("Heron Ward", "Curlew Ward")),
        _HPM: ("ORTHO", ("6 South", "the orthopedic floor", "the joint replacement unit")),
    },
    "maternity": {
        _RGH: ("MAT", ("the Birth Centre", "Primrose Ward", "the labour ward")),
        _HPM: ("L&D", ("Labor and Delivery", "the postpartum unit", "the Mother-Baby Unit")),
    },
    "children": {
        _RGH: ("PAED", ("Puffin Ward", "the children's assessment unit", "Otter Ward")),
        _HPM: ("PEDS", ("the pediatric floor", "the children's unit on 2 East", "2 East")),
    },
    "oncology": {
        _RGH: ("ONC", ("the Rowan Unit", "the chemotherapy day unit", "Rowan Ward")),
        _HPM: ("ONC", ("the infusion center", "the cancer center", "the oncology clinic")),
    },
    "outpatients": {
        _RGH: ("OPD", ("the outpatients department", "the eye clinic", "the diabetes clinic", "the ENT clinic")),
        _HPM: ("IM", ("the internal medicine clinic", "the outpatient clinic", "the specialty clinic")),
    },
    "imaging": {
        _RGH: ("RAD", ("the X-ray department", "the MRI unit", "the ultrasound department")),
        _HPM: ("IMG", ("Imaging", "the MRI suite", "the CT department")),
    },
    "pharmacy": {_RGH: ("PHARM", ("the pharmacy", "the outpatient pharmacy", "the dispensary"))},
    "transport": {_RGH: ("PTS", ("patient transport", "the discharge lounge"))},
    "mental": {
        _RGH: ("ED", ("A&E", "the mental health assessment room in A&E")),
        _HPM: ("BH", ("the behavioral health unit", "the psychiatric ER", "the BH unit on 2 West")),
    },
    "icu": {
        _RGH: ("GSURG", ("the critical care unit",)),
        _HPM: ("ICU", ("the ICU", "the surgical ICU", "the medical ICU")),
    },
    "billing": {_HPM: ("PFS", ("the billing office", "Patient Financial Services", "the cashier's window"))},
}

# Words that differ between the English and the American hospital.
SITE_WORDS: dict[str, dict[str, Any]] = {
    _RGH: {
        "mum": "mum", "gran": ("nan", "grandad"), "gp": "GP", "lawyer": "solicitor", "dn": "district nurse",
        "grade": "grade", "carpark": "car park", "calpol": "Calpol", "er": "A&E", "sister": "ward sister",
        "hcas": "healthcare assistants", "carerpass": "a carer's passport", "council": "town council",
        "sign": "BSL", "hypo": "2.1", "carer": "carer", "neighbour": "neighbour", "fracture": "fracture clinic",
        "consultant": "consultant",
        "nurse": ("one of the nurses", "the nurse in charge", "a healthcare assistant", "a staff nurse"),
        "doctor": ("the doctor", "a junior doctor", "the registrar", "the consultant"),
    },
    _HPM: {
        "mum": "mom", "gran": ("grandma", "grandpa"), "gp": "primary care doctor", "lawyer": "attorney",
        "dn": "home health nurse", "grade": "stage", "carpark": "parking garage", "calpol": "Tylenol",
        "er": "the ER", "sister": "charge nurse", "hcas": "nursing aides", "carerpass": "a caregiver pass",
        "council": "city council", "sign": "ASL", "hypo": "38", "carer": "caregiver", "neighbour": "neighbor",
        "fracture": "orthopedic clinic", "consultant": "oncologist",
        "nurse": ("one of the nurses", "the charge nurse", "a nursing assistant", "the nurse on duty"),
        "doctor": ("the doctor", "a resident", "the attending", "the hospitalist"),
    },
}  # fmt: skip

DAY_TIMES = (
    "about half past two", "just after three", "gone four o'clock", "nearly six in the evening",
    "around seven in the evening", "about quarter to five", "just before eight in the evening",
)  # fmt: skip
NIGHT_TIMES = ("about 2am", "half past one in the morning", "11 at night", "around 4 in the morning", "ten to midnight")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
AMOUNTS = ("$1,840", "$2,375", "$960", "$4,120", "$3,310", "$12,480", "$1,215")
ACCESS = {
    "deaf": {_RGH: "Deaf — BSL interpreter", _HPM: "Deaf — ASL interpreter"},
    "wheelchair": {_RGH: "Uses a wheelchair", _HPM: "Uses a wheelchair"},
}
ACCESS_POOL = (
    "Large print letters", "Prefers phone calls, cannot read small print", "Hard of hearing — face when speaking",
    "Learning disability — easy read letters", "Uses a wheelchair", "Partially sighted — plain text emails",
    "Dyslexia — prefers phone calls", "Memory problems — copy letters to daughter",
)  # fmt: skip


# Name banks by language group: (female first names, male first names, family names). Combined at random.
def _names(*lists: str) -> tuple[list[str], ...]:
    return tuple(names.split(",") for names in lists)


NAMES: dict[str, tuple[list[str], ...]] = {
    "en_gb": _names(
        "Margaret,Joan,Pauline,Sandra,Deborah,Gemma,Chloe,Aisling,Bethan,Rhian,Siobhan,Janet,Valerie,Kerry,Lauren,"
        "Hollie,Yvonne,Marcia,Adaeze,Folake,Eileen,Doreen,Tracey,Megan,Sinead,Niamh,Hyacinth,Rosalind",
        "Derek,Keith,Graham,Trevor,Malcolm,Gareth,Rhys,Declan,Callum,Liam,Stuart,Colin,Dennis,Clive,Winston,"
        "Delroy,Chinedu,Tunde,Alfie,Harvey,Owen,Kieran,Barry,Ronald,Bernard,Kwabena,Fergus,Lewis",
        "Ashworth,Pike,Holloway,Brennan,Pritchard,Haines,Cartwright,Lomax,Fenwick,Daley,Gillespie,Okafor,"
        "Adeyemi,Mensah,Whitfield,Thornbury,Rigby,Pennington,Sutcliffe,Crowther,Harwood,Blackmore,Kavanagh,"
        "Ellery,Maddox,Winstanley,Quayle,Tennant,Osei,Garside,Hebblethwaite,Nuttall,Pryce,Grimshaw",
    ),
    "pl": _names(
        "Agnieszka,Katarzyna,Magdalena,Ewa,Joanna,Bożena,Halina",
        "Krzysztof,Piotr,Marek,Paweł,Grzegorz,Zbigniew,Tadeusz",
        "Nowak,Wójcik,Mazur,Krawczyk,Dudek,Pawlak,Sikora,Baran,Wróbel",
    ),
    "ur": _names(
        "Nasreen,Shazia,Rukhsana,Samina,Farzana,Bushra,Zainab",
        "Tariq,Imran,Asif,Javed,Khalid,Zubair,Naveed",
        "Hussain,Mahmood,Iqbal,Rashid,Akhtar,Qureshi,Bashir,Anwar",
    ),
    "pa": _names(
        "Harpreet,Manjit,Gurpreet,Jaspreet,Kulwinder,Parminder",
        "Baljit,Sukhdev,Harjinder,Amarjit,Gurdeep,Jaswant",
        "Sandhu,Gill,Dhillon,Bains,Grewal,Johal,Sahota",
    ),
    "so": _names(
        "Hodan,Faduma,Amina,Sahra,Ifrah,Hibo",
        "Abdirahman,Mohamed,Abdi,Hassan,Guled,Liban",
        "Warsame,Egal,Jama,Aden,Osman,Dualeh,Gedi",
    ),
    "zh": _names(
        "Mei Ling,Xiaohong,Yan,Hui,Jing,Lai Fong,Xiu Ying",
        "Wei,Jun,Hao,Zhiqiang,Guoming,Ka Wai,Jianhua",
        "Chen,Wong,Lam,Zhou,Liang,Cheung,Ho,Tsang",
    ),
    "en_us": _names(
        "Patricia,Linda,Denise,Tamika,Shanice,Kayla,Brittany,Maureen,Colleen,Rosemary,Dolores,Gail,Tonya,"
        "Miriam,Esther,Danielle,Monique,Keisha,Nadine,Carol,Roberta,Lorraine,Jolene,Shirley",
        "Raymond,Gerald,Frank,Walter,Darnell,Tyrone,Kevin,Brian,Eugene,Vincent,Salvatore,Dominic,Howard,"
        "Irving,Jerome,Curtis,Terrence,Douglas,Jamal,Dwayne,Kyle,Stanley,Clifford,Reginald",
        "Kowalczyk,DiNapoli,O'Rourke,McAllister,Brandt,Castellano,Okonjo,Haskins,Pruitt,Lindgren,Russo,"
        "Mahoney,Dupree,Whitaker,Abernathy,Goldfarb,Rosenthal,Petrakis,Delaney,Szabo,Boateng,Hargrove,"
        "Ellison,Tully,Ferraro,Coughlin,Pierre-Louis,Greenberg,Vanderpool,Mancuso",
    ),
    "es": _names(
        "María Elena,Guadalupe,Yesenia,Rosa,Carmen,Marisol,Lucía,Ana Luisa,Xiomara,Maritza",
        "José Luis,Héctor,Rafael,Juan Carlos,Wilfredo,Luis,Ernesto,Efraín,Rubén",
        "Rivera,Castillo,Ortega,Guzmán,Peña,Fuentes,Salazar,Medina,Cordero,Vargas,Rosario,Morales",
    ),
}
RGH_STREETS = (
    "Tanner's Row", "Orchard Close", "Kiln Street", "Fennel Way", "Mill Race Road", "Coppice Drive",
    "Wharf Terrace", "Larkspur Avenue", "Chapel Yard", "Sallow Crescent", "Brook End", "Ferry Lane", "Ropewalk",
)  # fmt: skip
RGH_TOWNS = (("Millbridge", "MB1"), ("Millbridge", "MB4"), ("Otterwell", "MB8"), ("Sallowfield", "MB9"))
HPM_STREETS = (
    "Harbor View Road", "Mariner Street", "Sexton Avenue", "Quay Street", "Beacon Terrace", "Saltmarsh Lane",
    "Anchor Court", "Tidewater Boulevard", "Spar Street", "Lantern Hill Road", "Netmaker Lane",
)  # fmt: skip
HPM_TOWNS = (("Port Carrow", "10099"), ("Carrow Heights", "10098"), ("East Tidewater", "10097"))

TONE_CLOSERS = {
    "angry": (
        "This is not good enough.",
        "I expect a proper answer, not a standard letter.",
        "Frankly, I am appalled.",
    ),
    "worried": ("I am really worried this will happen again.", "I just need to know someone is looking at this."),
    "calm": ("I would appreciate a reply when you have time.", "I don't want anyone to get into trouble."),
    "grieving": ("We are still trying to make sense of it all.", "I keep going over it in my head."),
    "confused": ("I don't understand who I should be talking to.", "Nobody seems able to give me a straight answer."),
    "warm": ("Thank you all so much.", "Please pass this on to everyone involved."),
}

SCENARIO_BANK = """
== ed_wait B complaint,concern ed either older angry w=3 topics=quality_of_care
{Pc} spent {hours} hours in {ward} on the {day}, most of it on a trolley in a corridor. Nobody told us what was
happening, and when I asked {nurse} for an update she said "we're doing our best" and walked away. {Psubc} had
nothing to eat or drink until {time}. {x}
x: I know you are busy, but that is not how anyone should be treated. | It felt as if we had simply been forgotten.
x: When a doctor finally came he was kind, but by then it had been a miserable day.
> I want to know why nobody kept us informed and what you are going to change.
> I would like an apology and an honest explanation of why the wait was so long.
! communication 2 examination_diagnosis nursing | No updates during a long wait in {ward}
! quality 1 examination_diagnosis other | Trolley wait without food or drink
== missed_fracture B complaint,concern ed either any angry flags=harm_moderate_or_worse
{Pc} went to {ward} on the {day} after a fall and was told it was a sprain. {Psubc} was sent home with painkillers,
even though {Psub} could not put any weight on the ankle. {days} days later the {fracture} rang to say the
X-ray had been looked at again and the ankle was broken in two places. {x}
x: Now it needs an operation with plates and screws. | The surgeon said the delay has made the repair harder.
> I want to know why the X-ray was misread and whether the delay has made things worse.
> I would like someone senior to explain why the X-ray was not looked at properly.
! quality 3 examination_diagnosis medical | Fracture missed on first X-ray
! communication 2 discharge_transfer medical @ortho | Follow-up only after the X-ray was reviewed days later
== call_bell B complaint,concern elderly,medicine rep older angry w=2 flags=neglect,still_in_hospital topics=neglect
{Pc} {is} on {ward} and for the last {days} days the call bell has been left out of {Pposs} reach. On the {day} I
arrived at {time} to find {Pobj} lying in a wet bed, crying, because nobody had come when {Psub} shouted. {Nurse}
told me they were two staff short. {x}
x: I can't be there all day and I am frightened of what happens when I'm not.
x: {Psubc} {is} too proud to complain, so I am doing it for {Pobj}.
> I want {Pobj} checked on properly and the call bell kept within reach, starting today.
> I want the ward manager to ring me and tell me what will change.
! quality 3 ward_care nursing | Call bell out of reach; left in a wet bed
! listening 2 ward_care nursing | Calls for help not answered
== food_drink B complaint,concern elderly,medicine rep older worried flags=neglect topics=neglect
{Pc} has dementia and cannot open the packets or cut up {Pposs} food. On {ward} the trays are put down and taken
away again untouched, and nobody seems to notice. {Psubc} has lost weight since going in, and {Pposs} lips were
cracked when I visited on the {day}. {x}
x: There is supposed to be a red tray system, but I have not seen it used once.
x: I asked for a food chart and was told they don't do them on that ward.
> I want someone to make sure {Psub} is helped to eat and drink at every meal.
> I would like a food and fluid chart started and an explanation of why this was missed.
! quality 3 ward_care nursing | Not helped to eat or drink
! communication 1 ward_care nursing | Family concerns about weight loss not acted on
== pressure_sore B complaint elderly,ortho rep older angry flags=neglect,harm_moderate_or_worse topics=neglect
When {P} came home from {ward} the {dn} found a {grade} 3 pressure sore on {Pposs} heel. Nobody at the hospital had
mentioned it, and the discharge letter said {Pposs} skin was intact. {Psubc} {is} now in a lot of pain and needs
dressings every day. {x}
x: I can't believe nobody turned {Pobj} properly in {days} days. | I have photographs if you need them.
> I want to know how this happened and why we weren't told.
> I want an investigation and for the ward to admit what went wrong.
! safety 3 ward_care nursing | Pressure ulcer developed and not documented
! communication 2 discharge_transfer nursing | Discharge letter said skin intact
== ward_fall B complaint,concern elderly,ortho,medicine rep older worried
{Pc} had a fall on {ward} during the night on the {day}. We only found out the next afternoon, when I visited and
saw the bruise on {Pposs} face. The nurse said it had been written in the notes and she assumed someone had rung us.
{x}
x: {Psubc} was supposed to have someone with {Pobj} because of the falls risk.
x: {Psubc} had fallen twice at home, and we told them that on admission.
> I want to know why the family was not told and what is being done to stop it happening again.
> I would like a falls assessment done and for someone to ring me if anything happens.
! safety 2 ward_care nursing | Fall on the ward overnight
! communication 2 ward_care nursing | Family not told about the fall until the next day
== discharge_night B complaint,concern medicine,surgery either any angry topics=premature_discharge
{Pc} was discharged from {ward} at {night} on the {day} with no medication and no way of getting home. {Psubc} had to
wait in the entrance in a hospital gown until someone could get there. Two days later {Psub} was back in {er} with
the same problem. {x}
x: It was obvious {Psub} wasn't ready to go. | The doctor had said that morning {Psub} would stay another night.
> I want to know who decided to discharge at that time of night and why.
> I want an explanation and an assurance that nobody else is sent out like that.
! safety 3 discharge_transfer medical | Discharged late at night and readmitted within 48 hours
! institutional_processes 2 discharge_transfer nursing | Sent home without medication or transport
== discharge_no_care R complaint,concern elderly rep older worried
{Pc} was sent home from {ward} on the {day} even though the care package hadn't started. {Psubc} lives alone and
can't manage the stairs, so {Psub} slept in the chair for three nights. The social worker told me the ward had said
everything was in place. {x}
x: I live two hours away and I've had to take time off work to stay with {Pobj}.
x: A neighbour found {Pobj} cold and confused on the second morning.
> I want to know why {Psub} was discharged before the care was arranged.
> I want the discharge team to ring me and sort this out properly.
! institutional_processes 2 discharge_transfer nursing | Discharged before the care package started
! communication 2 discharge_transfer administrative | Conflicting information given to social services
== parkinsons_meds B complaint,concern elderly,medicine either older worried
{Pc} {has} Parkinson's and the tablets have to be taken at exactly the right times. On {ward} the doses were up to
two hours late, and on the {day} the evening dose was missed altogether. By the morning {Psub} could barely swallow
or move. {x}
x: We brought the tablets in and were told they had to go in the ward cupboard.
x: There was a timetable taped to the locker, but nobody looked at it.
> I want time-critical medicines given on time and someone to explain what went wrong.
> I want the pharmacy and the ward to look at this so it doesn't happen to anyone else.
! safety 3 ward_care nursing | Time-critical Parkinson's medication given late and missed
! institutional_processes 1 ward_care allied_health @medicine | Patient's own medicines not used
== post_op_pain B complaint,concern surgery,ortho self adult angry
After my operation on the {day} I was left in agony on {ward} for nearly {hours} hours. Every time I pressed the
buzzer I was told the doctor needed to write up the pain relief. I was shaking and being sick by the time anyone
came. {x}
x: I've never felt so helpless in my life. | One nurse was lovely and kept trying, but she was on her own.
> I want to understand why it took so long to get pain relief prescribed.
> I want an apology and for the ward to have a plan for pain relief after surgery.
! quality 2 operation_procedure medical | Delay in prescribing post-operative pain relief
! listening 1 ward_care nursing | Patient's pain not escalated
== rude_reception B complaint,concern outpatients,imaging self adult angry
I arrived at {ward} on the {day} five minutes late because the {carpark} was full. The receptionist told me loudly,
in front of the whole waiting room, that I had "wasted a slot" and would have to rebook. When I tried to explain she
turned away and spoke to the next person. {x}
x: I had waited {weeks} weeks for that appointment. | I was so upset I sat in the car and cried.
> I want an apology from the receptionist and my appointment rebooked quickly.
> I want staff reminded that people are anxious when they come to clinic.
! respect_rights 2 other administrative | Spoken to rudely at reception
! institutional_processes 1 other administrative | Appointment refused for arriving five minutes late
== dismissed_doctor B complaint,concern medicine,ed self adult angry
I have been to {ward} three times in {weeks} weeks with the same stomach pain, and each time I was told it was
anxiety. On the {day} {doctor} barely looked at me and said there was nothing more they could do. My {gp} has now
found gallstones on a scan. {x}
x: I felt stupid for even going back. | Nobody listened to a word I said.
> I want the doctors to know they got it wrong and that they should listen to patients.
> I want an apology and an explanation of why no scan was done.
! listening 2 examination_diagnosis medical | Symptoms put down to anxiety
! quality 2 examination_diagnosis medical | No imaging despite repeat attendances
== op_cancelled B complaint,concern surgery,ortho self adult angry
My operation has now been cancelled on the day twice. Both times I had fasted from midnight, taken time off work and
sat on {ward} in a gown until {time} before being told there was no bed. Nobody can tell me when it will be
rebooked. {x}
x: I am in pain every day and I can't work. | My employer is running out of patience with me.
> I want a firm date for my operation. | I want to know why I wasn't told sooner that there were no beds.
! institutional_processes 2 operation_procedure administrative | Operation cancelled on the day twice
! communication 1 admissions administrative | No new date offered
== appointment_letters R complaint,concern outpatients self adult confused
I have had four letters from {ward} in {weeks} weeks, each one cancelling or moving my appointment. The last one
went to an address I left two years ago, even though I updated it at reception. When I ring the number on the
letter it rings out. {x}
x: I don't know if I am still on the list or not. | I only heard about the last change from the people at my old flat.
> I want to know when my appointment actually is and to have my address corrected.
> I want one person I can speak to about my appointments.
! institutional_processes 2 other administrative | Repeated appointment changes and wrong address
! communication 1 other administrative | Appointments line not answered
== results_wait B complaint,concern imaging either adult worried
{Pc} had a scan in {ward} on the {day} and we were told the results would come within a week. It has now been
{weeks} weeks, and every time I ring I am passed to a different secretary. Not knowing is the worst part. {x}
x: {Psubc} can't sleep for worrying. | The radiographer seemed concerned at the time, which has made it worse.
> I want the results, and to know who is responsible for telling {Pobj}.
> I would like someone to call me back today with an answer.
! communication 2 examination_diagnosis administrative | Scan results not given after several weeks
! institutional_processes 1 examination_diagnosis administrative | Calls passed between secretaries
== wrong_letter R complaint outpatients self adult angry
The letter I received from {ward} on the {day} had my name on the envelope but another patient's clinic letter
inside. It included her diagnosis, her date of birth and her home address. If my letter has gone to someone else, I
want to know. {x}
x: This is a serious breach and it has shaken my confidence.
x: I have kept the letter and will hand it in, but I don't want to post it.
> I want to know how this happened and whether my details have been sent to anyone else.
> I want someone to collect the letter and confirm what you are doing about it.
! respect_rights 3 other administrative | Another patient's letter sent in the wrong envelope
! institutional_processes 2 other administrative | Possible disclosure of the complainant's own information
== lost_items B complaint,concern elderly,medicine rep older calm
When {P} was moved from {ward} on the {day}, {Pposs} {x} went missing. They were on the locker in a labelled bag and
the ward says they have searched everywhere. {Psubc} cannot manage without them and we have been told to put in a
claim. {y}
x: hearing aids | dentures | glasses | hearing aids and glasses
y: I'm not looking to blame anyone, I just want them found or replaced. | It has been {days} days now with no news.
y: {Psubc} has become very withdrawn without them.
> I would like the claim sorted quickly so they can be replaced.
> I want the ward to search again and to keep us updated.
! institutional_processes 1 discharge_transfer nursing | Personal items lost during a ward move
== dirty_ward B complaint,concern medicine,surgery self any angry anon
While I was on {ward} on the {day}, the toilet opposite my bay had blood on the floor and no soap or towels. The bins
were overflowing and there were used gloves on the window sill. I told {nurse}, and {hours} hours later it was
exactly the same. {x}
x: How are people supposed to get better in conditions like that? | With infections going round, I couldn't believe it.
> I want the ward cleaned properly and checked. | I want whoever is responsible for cleaning to see what I saw.
! environment 2 ward_care other | Toilets and bay not cleaned
! listening 1 ward_care nursing | Report to staff not acted on
== noise_night B concern,complaint medicine,surgery,cardiac self adult calm anon
I was on {ward} for {days} nights and hardly slept. The lights in the bay were left on until after midnight, and
staff talked loudly at the desk right next to my bed. On the {day} someone was playing music on a phone at {night}
and nobody asked them to turn it off. {x}
x: I know it's a busy place, but rest matters too. | I asked for earplugs and there weren't any.
> I would like the ward to think about noise at night. | I'd like the ward to have eye masks and earplugs available.
! environment 1 ward_care nursing | Noise and lights at night
== parking_charge R concern,complaint ed self adult angry anon
I was in {ward} on the {day} from the afternoon until {night}. When I got back to my car there was a parking charge
notice, because the machine only takes payment for four hours at a time. I could hardly leave halfway through being
seen to top it up. {x}
x: The fine is more than I spend on food in a week. | The signs about concessions are impossible to find.
> I want the parking charge cancelled. | I want the parking company told to cancel the notice.
! environment 1 other administrative | Parking charge issued during a long attendance
== labour_unheard B complaint,concern maternity either maternity angry
{Pc} asked for an epidural at least four times while in labour on {ward} on the {day}. Each time {Psub} was told it
was too early, and then suddenly it was too late. Nobody examined {Pobj} for hours and the baby was born with only a
student in the room. {x}
x: It should have been the happiest day of our lives. | I still have nightmares about it.
> I want someone to go through the notes with us and explain why the requests were ignored.
> I want the maternity team to hear how frightening it was.
! listening 3 ward_care nursing | Requests for pain relief in labour not acted on
! quality 2 examination_diagnosis medical | Not examined for long periods in labour
== baby_loss B complaint maternity self maternity grieving
After we lost our baby on the {day}, I was put in a bay on {ward} next to mothers with their newborns. I lay there
all night listening to babies crying. Nobody explained what would happen next, and a student asked me cheerfully
whether I was breastfeeding. {x}
x: I know nobody meant to be cruel, but it was. | I have not been able to go back to that hospital since.
> I want bereaved parents to be given a private room away from the babies.
> I want the staff to know how much that night hurt.
! respect_rights 3 ward_care nursing | Bereaved mother placed in a bay with newborns
! communication 2 ward_care nursing | No explanation of next steps after baby loss
== child_sent_home B complaint children rep child angry flags=harm_moderate_or_worse topics=quality_of_care
{Pc} was only {age} when we took {Pobj} to {er} on the {day} with a high temperature and a rash. We were told it
was a virus and sent home with {calpol}. By {night} {Psub} was floppy and we went back by ambulance, and it turned
out to be sepsis. {x}
x: {Psubc} spent {days} days in intensive care. | We were made to feel like fussy parents the first time.
> I want to know why the signs of sepsis were missed and what will change.
> I want a meeting with the doctor who saw {Pobj} the first time.
! safety 3 examination_diagnosis medical | Sepsis not recognised at first attendance
! listening 2 examination_diagnosis medical | Parents' concerns not taken seriously
== child_cannula B concern,complaint children rep child worried
The doctors on {ward} tried to put a cannula into {Pposs} hand {x} times on the {day}. {Psubc} was screaming, and
nobody suggested numbing cream or a play specialist. In the end a different doctor got it first time in the other
arm. {y}
x: five | six | seven
y: I understand it can be hard with little ones, but someone should have stopped sooner.
y: {Psubc} {is} now terrified of anyone in a uniform.
> I would like the ward to have a limit on attempts and to offer the play team.
> I want someone to explain why no numbing cream was used.
! quality 2 operation_procedure medical | Repeated cannula attempts on a child
! respect_rights 1 operation_procedure nursing | No play specialist or numbing cream offered
== death_not_called B complaint elderly,medicine rep older grieving dead
{Pc} died on {ward} in the early hours of the {day}. We had asked to be called if there was any change, and the nurse
agreed and wrote it down. Nobody rang until after {Psub} had gone, so {Psub} died alone. {x}
x: I will never forgive myself for going home that night.
x: We were told on the phone in such a flat way that I thought I had misheard.
> I want to understand why we weren't called, and I want an apology.
> I want the ward to learn from this so another family doesn't go through it.
! communication 3 ward_care nursing | Family not called when the patient deteriorated
! respect_rights 2 ward_care nursing | Death communicated insensitively by phone
== dnacpr R complaint elderly,medicine rep older angry flags=still_in_hospital
I found out on the {day} that a "do not attempt resuscitation" form had been put in {Pposs} notes on {ward}. Nobody
spoke to {Pobj} or to us about it, and {Psub} {is} perfectly able to make decisions. When I asked the doctor, he said
it was "just a formality". {x}
x: {Psubc} {is} still on the ward and I am frightened to leave {Pobj} there.
x: {Psubc} {is} still on the ward and now doesn't trust the staff.
> I want the form reviewed with {Pobj} and with us, today.
> I want an explanation of why no one discussed this with the family.
! communication 3 ward_care medical | DNACPR decision made without discussion
! respect_rights 3 ward_care medical | Patient with capacity not involved in the decision
== dementia_wandered B complaint elderly rep older worried flags=safeguarding topics=neglect
{Pc} has advanced dementia and was meant to have someone watching {Pobj} on {ward}. On the {day} a security guard
found {Pobj} outside the main entrance at {night}, in just a hospital gown and no slippers. Nobody on the ward had
noticed {Psub} was gone. {x}
x: It was freezing that night. | {Psubc} could have walked straight into the road.
> I want to know how this happened and what supervision {Psub} will have from now on.
> I want a safeguarding investigation and a proper care plan.
! safety 3 ward_care nursing | Patient with dementia left the ward unnoticed
! quality 2 ward_care nursing | Enhanced supervision not provided
== bruising B complaint elderly rep older worried w=1.5 flags=abuse,safeguarding restrict=safeguarding:0.5 topics=abuse
When I helped {P} change on the {day} I found bruises on both of {Pposs} upper arms, like finger marks. {Psubc}
became upset and said a man on the night shift had been "rough" with {Pobj}. The {sister} said {Psub} may have
knocked {Pself}, but that doesn't explain the shape of them. {x}
x: I took photographs. | I haven't slept since.
> I want this investigated properly and {Pobj} kept away from that member of staff.
> I want to know that {Psub} is safe tonight.
! safety 3 ward_care nursing | Unexplained bruising; allegation against a member of staff
! listening 2 ward_care nursing | Family's concern dismissed by the nurse in charge
== cancer_delay B complaint oncology either adult angry flags=harm_moderate_or_worse topics=quality_of_care
{Pc} was referred urgently by {Pposs} {gp} with a lump, but the first appointment at {ward} didn't come for
{weeks} weeks. By then the cancer had spread to the lymph nodes. The {consultant} said, almost in passing, that the
referral "got lost in the system". {x}
x: Those weeks might have made all the difference. | We have a young family and we need to know the truth.
> I want to know exactly what happened to the referral and whether the delay changed the outcome.
> I want a full investigation into the delay.
! quality 3 examination_diagnosis administrative | Urgent cancer referral delayed
! communication 2 examination_diagnosis medical | Delay disclosed casually without explanation
== chemo_cancelled B concern,complaint oncology self adult worried
I turned up at {ward} on the {day} for my third cycle of chemotherapy and was told it had been cancelled because the
drugs hadn't been made up. Nobody had rung me, and I had arranged childcare and a lift. It has been put back a week.
{x}
x: I keep reading that delays can matter and I'm scared. | I just want to know this won't happen again next cycle.
> I want to know whether the delay matters for my treatment.
> I want a phone call the day before to confirm my treatment is ready.
! institutional_processes 2 operation_procedure allied_health | Chemotherapy not prepared in time
! communication 1 operation_procedure administrative | Patient not told of cancellation
== mental_health_crisis B complaint,concern mental either adult angry
{Pc} went to {ward} on the {day} in a mental health crisis and waited most of the night to be seen by the crisis
team. {Psubc} was left in a side room with nobody checking, and at one point a security guard stood in the doorway
as if {Psub} {is} a criminal. When the assessment finally happened it took ten minutes. {x}
x: I have never felt so alone. | Nobody should feel like a problem when they are asking for help.
> I want the wait and the way {Psub} was treated looked into.
> I want an apology and for the crisis team to respond faster.
! respect_rights 2 examination_diagnosis other | Treated as a security risk while in crisis
! institutional_processes 2 examination_diagnosis medical | Long wait for mental health assessment
== no_interpreter B complaint,concern medicine,maternity,ed either adult confused lang
{Pc} asked for an interpreter on {ward} on the {day}, but was told there was no time to book one. The doctor
explained the results through a teenage grandson who did not know the medical words. {Psubc} signed a form without
understanding what it said. {x}
x: This is not the first time this has happened. | We found out later it was a consent form.
> I want an interpreter booked for every appointment from now on.
> I want the results explained again properly, with an interpreter.
! communication 3 examination_diagnosis medical | No interpreter; a family member used to interpret
! respect_rights 2 examination_diagnosis medical | Consent taken without understanding
== deaf_no_interpreter B complaint,concern outpatients,imaging self adult angry access=deaf chan=email,web_form,letter
I am Deaf and my first language is {sign}. I asked for an interpreter for my appointment at {ward} on the {day}, and
it is written on my notes. When I arrived there was no interpreter, and the receptionist shouted my name and then got
cross when I didn't answer. {x}
x: I have had to rearrange the appointment again and I lose a day's work each time.
x: I was handed a leaflet instead of being told what was happening.
> I want an interpreter booked every time, as my notes say.
> I want staff trained in how to communicate with Deaf patients.
! respect_rights 2 other administrative | Sign language interpreter not booked
! communication 2 other administrative | Deaf patient called by voice in the waiting room
== wheelchair_access B concern,complaint outpatients,imaging self adult angry access=wheelchair
I use a wheelchair and went to {ward} on the {day}. The accessible toilet was locked and nobody could find the key,
and the changing cubicle was too small for me to turn round in. In the end I had to change in a corridor behind a
screen. {x}
x: I felt humiliated. | I shouldn't have to plan my day around whether a toilet is unlocked.
> I want the accessible toilet kept open and the changing area looked at.
> I want someone to go round the department in a wheelchair and see it for themselves.
! environment 2 other other | Accessible toilet locked; changing area too small
! respect_rights 2 other allied_health | Changed in a corridor behind a screen
== transport_no_show R complaint,concern transport either any angry
Patient transport was booked to take {Pn} to {x} on the {day}, and it never came. I rang at {time} and was told the
crew had been "stood down", but nobody could say why. {Psubc} missed the appointment and it will be weeks before
another one. {y}
x: the renal unit | the eye clinic | a fracture clinic appointment | the Rowan Unit
y: This is the second time this month. | {Psubc} had been sitting in a coat by the door since eight.
> I want to know why the transport was cancelled without telling us.
> I want a reliable booking for the next appointment.
! institutional_processes 2 other administrative | Booked transport did not arrive
! communication 1 other administrative | Patient not told transport was cancelled
== lounge_wait R complaint,concern transport either older angry
{Pc} was sent to the discharge lounge at ten in the morning on the {day} and waited there until {night} for
transport home. There was no proper meal, just a sandwich, and {Psub} sat in a hard chair the whole time. When I rang
to ask, the lounge staff said transport was "running behind". {x}
x: {Psubc} had just had a hip operation. | By the time {Psub} got home {Psub} was exhausted and confused.
> I want to know why it took so long and what is being done about it.
> I want older patients not to be left in the lounge all day.
! institutional_processes 2 discharge_transfer administrative | Waited all day in the discharge lounge for transport
! quality 1 discharge_transfer nursing | No proper meal or comfort while waiting
== consent_rushed B complaint surgery,cardiac self adult worried
Before my procedure on {ward} on the {day} I was handed a consent form when I was already in the gown and on the
trolley. Nobody talked me through the risks, and only afterwards did I find out that {x} was a known complication.
I might still have gone ahead, but I should have been given the choice. {y}
x: nerve damage | a stroke | bleeding needing a transfusion
y: Now I'm the one living with it. | I feel I was rushed through like a number.
> I want the consent process explained and someone to go through what happened.
> I want consent discussed before the day of surgery.
! communication 2 operation_procedure medical | Risks not explained before consent
! institutional_processes 1 operation_procedure medical | Consent signed on the trolley
== wound_infection B complaint surgery,ortho self adult angry flags=harm_moderate_or_worse topics=quality_of_care
My wound from the operation on {ward} started leaking a few days after I got home. I rang the ward twice and was
told it was normal, but by the {day} I had a fever and could hardly stand. I was readmitted with an infection and
spent {days} days on antibiotics. {x}
x: If someone had listened on the phone it would never have got that bad.
x: I now need another operation to clean it out.
> I want to know why my calls weren't taken seriously.
> I want the advice line run by someone who can actually assess wounds.
! safety 3 discharge_transfer nursing | Wound infection missed on the ward advice line
! listening 2 discharge_transfer nursing | Patient's calls about the wound dismissed
== old_event R complaint surgery either adult grieving w=3 old
I know this is more than a year ago, but I have not been able to face writing until now. {Pc} was on {ward} after
{x}, and the care was not what it should have been. The nurses seemed too busy to check, and a problem with the
drain was missed for a whole day. {y}
x: an operation on the bowel | a hernia repair | gallbladder surgery | an emergency operation
y: I have been ill myself since, which is why it has taken so long. | My counsellor suggested I put it in writing.
> I know it is late, but I would still like it looked at.
> I want someone to read this and tell me if it should have been handled differently.
! quality 2 ward_care nursing | Post-operative care; drain problem missed
! communication 1 ward_care nursing | Concerns not escalated
== staff_phones B complaint,concern elderly,medicine rep older angry
Every time I have visited {P} on {ward} this week, staff have been sitting at the desk on their phones. On the {day}
{Psub} was calling out for help and two {hcas} carried on laughing at something on a screen. I went over myself and
they looked at me as if I was interrupting. {x}
x: I'm sure they work hard, but that was shameful. | {Psubc} says it happens all the time at night.
> I want the ward manager to deal with this. | I want staff to put the patients first.
! respect_rights 2 ward_care nursing | Staff on phones while a patient called for help
! listening 2 ward_care nursing | Patient's calls ignored
== visiting_refused B complaint,concern medicine,elderly rep older angry flags=still_in_hospital
I am {Pposs} main carer and {Psub} gets very frightened without me, especially at night. On the {day} I was turned
away from {ward} at {time} and told visiting had finished, even though I had {carerpass}. {Psubc} {is} still in
there, and the staff rang me at {night} because {Psub} was distressed. {x}
x: It makes no sense to keep me out and then ring me for help. | I was made to feel like a nuisance.
> I want to be allowed to stay with {Pobj}, as the carers' policy says.
> I want the ward to respect the carer agreement.
! institutional_processes 2 ward_care nursing | Carer refused access outside visiting hours
! respect_rights 1 ward_care nursing | Carer's pass not honoured
== privacy_exam B complaint,concern ed,medicine self adult angry
While I was in {ward} on the {day}, a doctor examined me with the curtain half open and asked about my {x} loudly
enough for the whole bay to hear. I could see another patient's visitor watching. When I asked for the curtain to
be closed he said it would only take a minute. {y}
x: periods | bowel habits | drinking | sexual health
y: I felt completely exposed. | I have not stopped thinking about it.
> I want staff reminded to close curtains and keep their voices down. | I want an apology from the doctor.
! respect_rights 2 examination_diagnosis medical | Examined without privacy
! communication 1 examination_diagnosis medical | Personal questions asked in earshot of others
== social_post B complaint,concern ed,medicine either any angry anon chan=social_media flags=media_or_legal_threat
{x} {Pc} sat in {ward} from {time} until {night} without so much as a glass of water. Staff rolled their eyes every
time we asked a question. I've tagged the local paper and I'll keep posting until someone answers.
x: Absolute disgrace. | Shameful, honestly. | Is anyone from the hospital actually reading this?
> I want a public answer and an apology. | I want someone in charge to message me back.
! listening 2 examination_diagnosis nursing | Questions not answered during a long wait
! quality 1 examination_diagnosis nursing | No food or drink offered during the wait
== legal_threat B complaint surgery,ortho either adult angry flags=media_or_legal_threat,harm_moderate_or_worse
{Pc} {has} had no feeling in {Pposs} foot since the {x} on {ward}. The surgeon told us on the {day} that "these
things happen" and left the room. I have already spoken to a {lawyer} and I am told we have a case. {y}
x: knee replacement | hip replacement | ankle operation
y: Before I go down that road I want answers from you. | Please treat this letter as notice.
> I want a full explanation of what went wrong in the operation. | I want copies of the notes and an honest account.
! safety 3 operation_procedure medical | Nerve damage after surgery
! communication 2 operation_procedure medical | Dismissive explanation from the surgeon
== infection B complaint,concern medicine,elderly rep older worried flags=harm_moderate_or_worse,still_in_hospital
{Pc} went into {ward} with a chest infection and has now caught C difficile. {Psubc} was in a bay with a man who had a
stomach bug for {days} days before anyone moved him to a side room. {Psubc} {is} still in hospital and very weak.
{x}
x: I was told the hand gel dispensers had been empty all week. | Nobody has told us how serious it is.
> I want to know how the infection spread and what is being done.
> I want {Pobj} moved to a side room and looked after properly.
! safety 3 ward_care nursing | Hospital-acquired infection; delay isolating an infected patient
! environment 2 ward_care other | Hand gel dispensers empty
== lost_bloods B concern,complaint outpatients,medicine self adult confused
I have now had my blood taken three times for the same test because the samples keep getting lost or rejected. Each
time I take a morning off work and wait at {ward} for over an hour. Nobody can tell me whether the last one actually
reached the lab. {x}
x: I am starting to wonder if anyone is looking at my results. | I have a needle phobia, so this has been really hard.
> I want to know the result has come back and what it shows.
> I want someone to check what is going wrong with the samples.
! institutional_processes 2 examination_diagnosis allied_health | Blood samples lost or rejected repeatedly
== mri_wait B concern,complaint imaging self adult worried
My consultant asked for an urgent MRI of my spine {weeks} weeks ago and I still don't have a date from {ward}. The
pain is getting worse and I now have pins and needles in my leg. When I rang on the {day} I was told urgent means
"within six weeks". {x}
x: I can't work and I'm running out of sick pay. | I don't know who else to ask.
> I want a date for the scan. | I want someone to review whether my scan should be brought forward.
! institutional_processes 2 examination_diagnosis administrative | Long wait for an urgent MRI
! communication 1 examination_diagnosis administrative | Worsening symptoms not escalated
== tto_wait R concern,complaint pharmacy either any angry
{Pc} was told at ten in the morning on the {day} that {Psub} could go home, then waited until {time} for the tablets
from pharmacy. Nobody could tell us where the prescription was. In the end a nurse went down to {ward} herself and
came back with them in ten minutes. {x}
x: It was a whole day lost sitting in a chair. | The bed was needed, so I don't understand why nobody chased it.
> I want to know why it takes so long to get tablets to take home.
> I want discharge medicines ready before people are told they can go.
! institutional_processes 2 discharge_transfer allied_health | Long wait for discharge medication
== no_physio B concern,complaint ortho,elderly either older worried
{Pc} had {Pposs} hip fixed on {ward} on the {day} and was meant to be got up the next day. No physiotherapist came
over the weekend, so it was three days in bed. Now {Psub} can barely stand and they are talking about a care home.
{x}
x: Before the fall {Psub} walked to the shops every day.
x: We asked every day and were told the physios don't work weekends.
> I want physiotherapy every day and a plan to get {Pobj} walking.
> I want someone to explain why nobody saw {Pobj} over the weekend.
! quality 2 ward_care allied_health | No physiotherapy after hip surgery over the weekend
! communication 1 ward_care nursing | Family not told about the delay
== hypo_fasting B complaint,concern medicine,surgery either adult worried
{Pc} {has} type 1 diabetes and was nil by mouth on {ward} on the {day}, but nobody adjusted the insulin. By {time}
{Psub} was sweating and confused, and the blood sugar was {hypo} when they finally checked it. Twice that morning
the nurse was warned this could happen. {x}
x: Nobody should have to manage their own diabetes in hospital. | It frightened the life out of us.
> I want the ward to have proper insulin plans for people who are fasting.
> I want to know why the blood sugar wasn't checked.
! safety 3 ward_care nursing | Hypoglycaemia while nil by mouth
! listening 2 ward_care nursing | Warnings about insulin ignored
== monitor_alarm B complaint,concern cardiac either adult worried flags=still_in_hospital
{Pc} {is} on a heart monitor on {ward}, and the alarm keeps going off for long stretches with nobody coming. On the
{day} it beeped for nearly twenty minutes at {night} before anyone looked. When I asked, {nurse} said it was
"probably a loose lead". {x}
x: What if it isn't a loose lead next time? | Nobody can rest when we're all listening for it all night.
> I want to know that alarms are answered. | I want someone to check the monitoring is working properly.
! safety 2 ward_care nursing | Cardiac monitor alarms not answered
== icu_updates H complaint,concern icu rep adult worried flags=still_in_hospital
{Pc} has been in {ward} for {days} days after {x}. We get a different story from every doctor, and on the {day}
nobody called us back all day. I understand {Psub} is very sick, but we are desperate for one honest update. {y}
x: a car accident | heart surgery | a bad case of pneumonia
y: We have been sleeping in the waiting room. | We were promised a family meeting and then it was cancelled.
> We want a family meeting with the attending and a daily update. | I want one person to be our point of contact.
! communication 2 ward_care medical | Family not given consistent updates in ICU
== restraint H complaint mental rep adult angry flags=safeguarding restrict=safeguarding:0.5 topics=abuse
{Pc} was admitted to {ward} on the {day} and was restrained and given an injection that night. We only found out
because {Psub} had bruises on {Pposs} wrists when we visited. Nobody told us what happened or why, and the staff
said they couldn't discuss it. {x}
x: {Psubc} says {Psub} was not even being aggressive.
x: I understand it is sometimes needed, but we deserve an explanation.
> I want to know why restraint was used and to see the incident report.
> I want this reviewed by someone outside the unit.
! respect_rights 3 ward_care nursing | Restraint and sedation without the family being told
! communication 2 ward_care medical | No explanation given to the family
== staff_record B complaint medicine,surgery self adult angry w=1.5 restrict=staff_as_patient:1
I work at the hospital and was a patient on {ward} on the {day}. Since then two colleagues have mentioned details of
my diagnosis that I never told them. I believe someone looked at my record without a reason. {x}
x: I feel I can't trust anyone at work now. | I want to know who has opened my notes.
> I want an audit of who has accessed my record. | I want whoever looked at my notes to be dealt with.
! respect_rights 3 other other | Suspected inappropriate access to a staff member's record
== vip_room B complaint,concern cardiac,surgery self adult calm w=1.5 restrict=vip:1
As you may know, I sit on the {council}, so I would prefer this is handled discreetly. I was on {ward} on the {day}
and, while the care was excellent, I was moved to a side room at {night} without explanation. I later heard a nurse
say it was "because of who this patient is". {x}
x: I did not ask for special treatment, and another patient needed that room more.
x: I would rather be treated like everybody else.
> I would like to understand how the decision was made. | I would like my record treated like any other patient's.
! institutional_processes 1 ward_care nursing | Moved to a side room at night because of public profile
== surprise_bill H complaint,concern billing self adult angry topics=billing
I went to {er} on the {day} and made sure the hospital was in my insurance network. Now I have a bill for {amt} from
a physician group I never chose, and I'm told they are out of network. Nobody told me that could happen, and I was
in no state to ask. {x}
x: I have called the billing office four times and been on hold for an hour each time.
x: I thought there were protections against this kind of bill.
> I want the bill reviewed and reduced to the in-network amount. | I want someone to explain the bill line by line.
! institutional_processes 2 other administrative | Out-of-network physician bill after an ER visit
! communication 1 other administrative | Billing office not returning calls
== observation_status H complaint,concern medicine either older confused medicare topics=medicare_billing_rights
{Pc} spent three nights on {ward} and we assumed it was an admission. When the nursing home bill came we found out it
was only ever "observation", so Medicare won't pay for the rehab. Nobody gave us the notice about this or explained
what it meant. {x}
x: Now we are looking at thousands of dollars. | We would have asked questions if anyone had told us.
> I want to know why we weren't given the observation notice and what we can do now.
> I want help appealing the decision.
! communication 2 admissions administrative | Observation status not explained; notice not given
! institutional_processes 2 discharge_transfer administrative @billing | Rehab not covered because of observation status
== im_medicare H complaint medicine either older angry medicare topics=premature_discharge,medicare_billing_rights
On the {day} a case manager on {ward} said it was time to go home that afternoon, even though {Psub} could barely walk
to the bathroom. We were never given the Important Message from Medicare, so we didn't know there was a right to
appeal. {Psubc} was back in {er} {days} days later. {x}
x: I want it on record that {Psub} was not ready. | Nobody listened when we said we couldn't manage at home.
> I want the discharge reviewed and to know why we weren't told about the right to appeal.
> I want the quality improvement organization told about this.
! safety 3 discharge_transfer medical | Premature discharge; readmitted within days
! respect_rights 2 discharge_transfer administrative | Important Message from Medicare not given
== phone_unanswered B concern medicine,elderly,surgery rep any confused
I have been trying to ring {ward} since {time} on the {day} to find out how {P} is. The phone either rings out or
someone picks up and puts it straight down. I have tried the switchboard too and they just put me back through to
the same number. {x}
x: I live a long way away and can't just pop in. | I'm not even asking for much, just to know {Psub} {is} comfortable.
> I just want someone to call me back with an update. | I'd like a named nurse I can ring.
! communication 1 ward_care administrative | Ward phone not answered
== update_request B concern medicine,elderly,cardiac rep older worried w=2 flags=still_in_hospital
{Pc} has been on {ward} for {days} days and we have not spoken to a doctor once. Each time we visit, the nurses say
the doctors have already been round. We don't know what is wrong or when {Psub} might come home. {x}
x: I'm not blaming the nurses, they are lovely. | We are going round in circles.
> We would like a doctor to ring us or meet us. | I'd like to be told the plan.
! communication 2 ward_care medical | Family unable to speak to a doctor
== night_move B concern,complaint medicine,elderly either older angry
{Pc} was moved from {ward} to another ward at {night} on the {day}. {Psubc} was woken, wheeled down the corridor half
asleep and was so confused by the morning that {Psub} didn't know where {Psub} was. Nobody phoned the family about
the move, and we turned up to an empty bed. {x}
x: It gave us such a fright. | Nobody should be moved like that in the middle of the night.
> I want to know why moves happen in the middle of the night. | I want families told when patients are moved.
! quality 2 discharge_transfer nursing | Moved between wards at night
! communication 1 discharge_transfer nursing | Family not told about the ward move
== diet_needs B concern medicine,maternity,surgery either adult calm
{Pc} {has} a {x} diet, and for {days} days on {ward} the only option offered was a cheese sandwich. When {Psub} asked,
{Psub} was told the menu "doesn't really cater for that". The family has been bringing food in every day. {y}
x: halal | kosher | vegan | strict vegetarian
y: It's a small thing, but food matters when you're unwell. | I'd like to think this can be fixed easily.
> I'd like the ward to know what meals are available. | I want suitable meals offered without having to fight for them.
! respect_rights 1 ward_care other | Dietary needs for faith or belief not met
== thanks_ward B compliment medicine,elderly,surgery,cardiac either any warm w=2
I want to say thank you to everyone on {ward} who looked after {Pn} last month. {x} The nurses always had time for a
kind word, even when they were run off their feet. {Psubc} came home {y}.
x: Special thanks to {staffname}, who sat with {Pobj} at {night} when {Psub} couldn't sleep.
x: {staffname} in particular went above and beyond, and remembered exactly how {Psub} liked {Pposs} tea.
y: feeling like {Pself} again | stronger than when {Psub} went in
> I'd like this passed on to the whole team. | Please make sure {staffname} hears about this.
== thanks_ed B compliment ed either any warm anon w=1.5
{Pc} came into {ward} by ambulance on the {day}, and from the moment we arrived the team were calm, quick and kind.
The doctor explained everything in plain English and {x} made sure we had a cup of tea. It was a frightening night,
and you made it bearable.
x: a nurse called {staffname} | {staffname}, one of the nurses, | the healthcare assistant
> I want the team to know how much we appreciated them. | Please thank the night team for us.
== thanks_maternity B compliment maternity either maternity warm
Our {x} was born on {ward} on the {day}, and I can't praise the team enough. {staffname} stayed past the end of the
shift to see the birth through. When things got frightening at the end, everyone stayed calm and told us exactly
what was happening. {y}
x: daughter | son | little girl | little boy
y: We will never forget you. | Thank you for giving us such a good start.
> I want the team to know what a difference they made. | Please pass our thanks to {staffname} and the night team.
== thanks_end_of_life B compliment elderly,medicine rep older warm dead
{Pc} died peacefully on {ward} on the {day}, and I wanted to write to say thank you. The nurses kept {Pobj}
comfortable, made sure we could stay, and even brought us blankets through the night. {staffname} held {Pposs} hand
when I had to step out. {x}
x: We will always be grateful that {Psub} was not alone. | It was the worst week of our lives, but you made it gentler.
> I want the staff to know how much their kindness meant. | Please thank {staffname} personally from all of us.
== thanks_surgery B compliment surgery,ortho,cardiac self adult warm anon
I had my operation on {ward} on the {day} and I was dreading it. From the pre-op nurse to the surgeon and the porter
who wheeled me down, everyone was kind and explained what was going on. I was up and walking the next day thanks to
the physios. {x}
x: I've told everyone I know how well I was looked after. | Thank you for treating me like a person and not a number.
> I'd like the whole team to hear this. | Please pass my thanks to the surgeon and the physios.
== thanks_one_person B compliment medicine,ed,outpatients,imaging either any warm anon
I want to single out {staffname}, one of the {x} at {ward}. On the {day} {Pc} was lost and upset, and {staffname} took
{Pobj} all the way to the right clinic and waited until {Psub} was called. It was a small kindness that meant a great
deal.
x: porters | cleaners | volunteers | receptionists
> Please make sure {staffname}'s manager knows. | I'd like {staffname} to be thanked properly.
== thanks_children B compliment children rep child warm
{Pc}, who is {age}, spent {days} nights on {ward}, and the staff made it feel almost like an adventure. The play team
were brilliant and the nurses let {Pobj} help take {Pposs} own temperature. As a parent I felt listened to the whole
time. {x}
x: {Psubc} still talks about {staffname}. | Thank you for being so patient with us.
> I want the whole team to know how grateful we are. | Please give {staffname} a special thank you.
== ask_visiting B enquiry medicine,elderly,surgery rep any calm
I'd like to know the visiting times on {ward}, and whether children are allowed to visit. {Pc} has been in for {days}
days and the grandchildren are desperate to see {Pobj}. Is there somewhere we could sit together that isn't the bay?
> I'd like to know when we can visit and whether the children can come. | Please tell me the visiting arrangements.
== ask_records B enquiry surgery,medicine either any calm
I would like a copy of {Pposs} medical records from {ward}, from the admission last {x}. How do I apply, and is there
a charge? I also need to know how long it usually takes, because {y}.
x: winter | summer | spring
y: there is an appointment with a specialist elsewhere | the insurance company has asked for them
y: we are thinking of taking advice about the care
> I want to know how to get a copy of the records. | Please send me the form.
== ask_bill H enquiry billing self adult calm topics=billing
I received a bill from Harbor Point for {amt} for my visit on the {day}, but it doesn't say what the charges are
for. Can you send me an itemized bill? I'd also like to know if there's a payment plan.
> I want an itemized bill and information on payment plans. | I want to understand what I'm being charged for.
== ask_parking R enquiry oncology,medicine,outpatients either any calm
{Pc} {is} having treatment at {ward} every day for the next few weeks. Is there any help with parking costs for people
coming in that often? I was told there was a permit, but nobody at the desk knew about it.
> I'd like to know about parking concessions. | Please send me the form for the parking permit.
== ask_how_to_complain B enquiry medicine,surgery,ed rep any confused
I want to make a complaint about the care {P} received on {ward}, but {Psub} {is} too unwell to do it. Am I allowed
to complain on {Pposs} behalf, and does {Psub} need to sign something? I also don't want it to affect the treatment.
> I want to know how to make a complaint on {Pposs} behalf.
> Please send me the complaints leaflet and the consent form.
== ask_lost_property B enquiry ed,medicine,outpatients either any calm anon
{Pc} left a {x} in {ward} on the {day}. Is there a lost property office, and how do I find out if it was handed in?
I can come in any afternoon to collect it.
x: walking stick | pair of reading glasses in a red case | phone charger | blue handbag | hearing aid case
> I want to know whether it has been handed in. | Please let me know how to collect it.
== ask_chaplain B enquiry medicine,icu,elderly either any calm
{Pc} {is} on {ward} and would like a visit from {x}. Is there someone we can ask, and can they come at the weekend? It
has been weeks since {Psub} could get to services.
x: a Catholic priest | an imam | the chaplaincy team | a rabbi | a Sikh chaplain
> I'd like someone from the chaplaincy to visit. | Please pass on the request for a visit.
== ask_waiting_list B enquiry outpatients,imaging,ortho self adult confused
I had a letter saying I would be sent an appointment at {ward} within six weeks, and it has now been {weeks} weeks.
Can you tell me whether I am actually on the waiting list? I've moved house recently and I'm worried the letter went
to the old address.
> I want to know whether I'm on the list and when I'll be seen. | Please check my address is up to date.
== denial_appeal H advocacy imaging self adult worried topics=billing
My insurance company has denied the claim for the MRI I had at Harbor Point on the {day}, saying it wasn't medically
necessary. My doctor ordered it because of the numbness in my arm, so I don't understand. The letter gives me {x}
days to appeal and I don't know where to start. {y}
x: 60 | 90 | 180
y: The bill is {amt} and I can't pay that. | I need someone on my side for this.
> I want help filing the appeal and getting the records my doctor needs. | I want the denial overturned.
! institutional_processes 2 other administrative @billing | Insurer denied an MRI claim; appeal needed
== prior_auth H advocacy surgery,ortho either adult worried
{Pc} {is} booked for surgery on {ward} next week, but the insurer still hasn't approved the prior authorization.
The surgeon's office says they sent everything, and the insurer says it never got the notes. I've spent {hours}
hours on the phone this week going between them. {x}
x: If it isn't sorted, the operation will be cancelled again. | Every delay means more pain.
> I want someone to get the prior authorization sorted before the surgery date.
> I want the hospital to call the insurer directly.
! institutional_processes 2 admissions administrative | Prior authorization stuck between insurer and surgeon's office
== charity_care H advocacy billing self adult worried topics=billing
I don't have insurance and I got a bill for {amt} after my stay in the hospital. Someone told me there is a financial
assistance program, but I can't find the form online. I work two part-time jobs and I can't pay that. {x}
x: I don't want it to go to collections. | I'm scared to come back to the hospital because of the bill.
> I want to apply for financial assistance. | I want the bill put on hold while my application is looked at.
! institutional_processes 1 other administrative | Uninsured patient needs a financial assistance application
== ride_service H advocacy oncology rep adult worried
{Pc} has chemotherapy at {ward} three times a week, and the Medicaid ride service has not shown up twice this month.
I can't keep taking time off to drive {Pobj}. {Psubc} has missed one treatment already. {x}
x: The ride company keeps saying the booking was never made. | We live forty minutes away and there's no bus.
> I want reliable transport arranged for every treatment. | I want someone to talk to the ride company for us.
! institutional_processes 2 other administrative | Medicaid transport not arriving for chemotherapy
== collections H advocacy billing self adult angry topics=billing
I applied for financial assistance {weeks} weeks ago and handed the form in at {ward}. Yesterday I got a letter from
a collection agency about the same bill. Nobody told me my application was turned down, if it even was. {x}
x: My credit has never been a problem before. | I need this stopped before it gets worse.
> I want the collections stopped until my application is decided. | I want to know what happened to my application.
! institutional_processes 2 other administrative | Bill sent to collections while financial assistance pending
== rehab_denial H advocacy medicine,ortho rep older worried medicare topics=premature_discharge
The rehab facility says {P}'s Medicare Advantage plan has denied the stay, so {Psub} has to come home on Friday.
{Psubc} still can't get out of bed without two people, and I work nights. The discharge planner on {ward} said we
can appeal but we have to do it fast. {x}
x: I don't even know who to call first. | I am terrified of {Pobj} falling at home.
> I want help with an expedited appeal. | I want {Pobj} to stay in rehab until {Psub} can walk safely.
! institutional_processes 2 discharge_transfer administrative @billing | Medicare Advantage refused rehab; appeal
== medicaid_help H advocacy medicine either adult confused
{Pc} lost {Pposs} job last month and no longer {has} insurance. There is a follow-up appointment at {ward} in two
weeks and we don't know whether to cancel it. Someone said you can help people apply for Medicaid. {x}
x: The forms are confusing and the website keeps timing out. | We don't want to go into debt.
> I want help applying for Medicaid before the appointment. | I want to know if the appointment can go ahead.
! institutional_processes 1 admissions administrative @billing | Help needed applying for Medicaid
== travel_costs R advocacy oncology,outpatients either adult confused
{Pc} {has} to come to {ward} twice a week for treatment and the train fares are adding up. Someone mentioned there is
a scheme that pays travel costs back for people on benefits. Nobody on reception knew how to claim it. {x}
x: We have kept all the tickets. | It's over forty pounds a week.
> I want help claiming travel costs back. | I want someone to explain the travel scheme and fill in the form with me.
! institutional_processes 1 other administrative | Help claiming healthcare travel costs
== chc_funding R advocacy elderly rep older worried flags=still_in_hospital
{Pc} {is} ready to leave {ward} but needs full-time care, and we have been told to apply for continuing healthcare
funding. Nobody has explained the assessment, and the social worker says the ward has to start it. Meanwhile {Psub}
has been a "delayed discharge" for {days} days. {x}
x: We don't know if we'll have to sell the house. | I feel like we're being pushed from one office to another.
> I want someone to help us through the continuing healthcare assessment. | I want to be at the assessment meeting.
! institutional_processes 2 discharge_transfer administrative | Continuing healthcare assessment not started
== transport_eligibility R advocacy transport either any confused
{Pc} {has} been told there is no longer any entitlement to patient transport, but the bus is impossible since the
stroke. The decision was made on the phone without anyone asking about {Pposs} mobility. There is a clinic
appointment next week and no way of getting there. {x}
x: A taxi is thirty pounds each way. | I want someone to look at it again properly.
> I want the eligibility decision reviewed. | I want help getting to the appointment next week.
! institutional_processes 2 other administrative | Transport eligibility refused without assessment
"""

CHASERS = (
    "I got in touch {ago} about {Pposs} care on {ward} and was promised a call back within two days. Nobody has rung. "
    "I have left three messages since, and I'm starting to think it has been lost.",
    "This is the second time I have contacted you in a few weeks. Since I first got in touch there has been another "
    "ward move and nobody told the family. I would like that added to what I said before.",
    "I'm ringing back about what I reported {ago}. The acknowledgement letter came, but it has the wrong date of "
    "birth on it. Can you check you have the right records before anything else is sent?",
    "Just following up on my message from {ago}. Things have got worse since then and I am more worried than before. "
    "Please can someone call me today?",
    "I spoke to someone in your office {ago} and was told a manager would ring me. I have had no call and no letter. "
    "I would like to know who is dealing with this and when I will hear.",
)


@dataclass(frozen=True)
class Scenario:
    key: str
    sites: tuple[str, ...]
    types: tuple[str, ...]
    depts: tuple[str, ...]
    voice: str
    age: str
    tone: str
    text: str
    wants: tuple[str, ...]
    issues: tuple[tuple[str, int, str, str, str, str], ...]  # category, severity, stage, staff, dept key, summary
    x: tuple[str, ...]
    y: tuple[str, ...]
    opts: dict[str, str]

    @property
    def weight(self) -> float:
        return float(self.opts.get("w", "1"))


def _parse(bank: str) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for block in bank.strip().split("\n== ")[0:]:
        lines = block.removeprefix("== ").splitlines()
        key, sites, types, depts, voice, age, tone, *rest = lines[0].split()
        opts: dict[str, str] = {}
        for item in rest:
            name, _, value = item.partition("=")
            opts[name] = value or "1"
        site_codes = {"B": (_RGH, _HPM), "R": (_RGH,), "H": (_HPM,)}[sites]
        text: list[str] = []
        wants: list[str] = []
        x: list[str] = []
        y: list[str] = []
        issues: list[tuple[str, int, str, str, str, str]] = []
        for line in lines[1:]:
            if line.startswith(("x: ", "y: ")):
                (x if line[0] == "x" else y).extend(part.strip() for part in line[3:].split(" | "))
            elif line.startswith("> "):
                wants.extend(part.strip() for part in line[2:].split(" | "))
            elif line.startswith("! "):
                head, summary = line[2:].split(" | ")
                cat, sev, stage, staff, *at = head.split()
                issues.append((cat, int(sev), stage, staff, at[0][1:] if at else "", summary))
            elif line.strip():
                text.append(line.strip())
        for dept in [*depts.split(","), *(i[4] for i in issues if i[4])]:
            if any(site not in DEPTS[dept] for site in site_codes):
                raise ValueError(f"scenario {key}: department {dept} missing at one of {site_codes}")
        scenario = Scenario(
            key, site_codes, tuple(types.split(",")), tuple(depts.split(",")), voice, age, tone,
            " ".join(text), tuple(wants), tuple(issues), tuple(x), tuple(y), opts,
        )  # fmt: skip
        scenarios.append(scenario)
    return scenarios


SCENARIOS = _parse(SCENARIO_BANK)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

TYPE_WEIGHTS = {
    _RGH: {"complaint": 40, "concern": 29, "compliment": 15, "enquiry": 11, "advocacy": 5},
    _HPM: {"complaint": 40, "concern": 18, "compliment": 12, "enquiry": 12, "advocacy": 16},
}
CHANNEL_WEIGHTS = {
    "complaint": {"phone": 30, "email": 24, "letter": 14, "web_form": 16, "in_person": 8, "social_media": 3, "other": 2,
                  "survey": 3},
    "concern": {"phone": 48, "in_person": 28, "email": 10, "web_form": 8, "social_media": 3, "other": 3},
    "compliment": {"letter": 18, "email": 18, "web_form": 12, "survey": 26, "phone": 12, "in_person": 8,
                   "social_media": 6},
    "enquiry": {"phone": 55, "email": 22, "web_form": 13, "in_person": 10},
    "advocacy": {"phone": 50, "in_person": 28, "email": 14, "letter": 8},
}  # fmt: skip
WRITTEN = {"letter", "email", "web_form"}
OWNERS = {_RGH: "officer@demo.liaison.example", _HPM: "officer.us@demo.liaison.example"}
MANAGER = "manager@demo.liaison.example"
# Relationship of the complainant to the patient: (complainant sex, word the complainant uses for the patient).
RELATIONS: dict[str, tuple[str, str]] = {
    "daughter": ("F", "parent"), "son": ("M", "parent"), "granddaughter": ("F", "grandparent"),
    "grandson": ("M", "grandparent"), "wife": ("F", "spouse"), "husband": ("M", "spouse"), "partner": ("", "partner"),
    "mother": ("F", "child"), "father": ("M", "child"), "sister": ("F", "sibling"), "brother": ("M", "sibling"),
    "friend": ("", "friend"), "neighbour": ("", "neighbour"), "carer": ("", "named"), "advocate": ("", "named"),
}  # fmt: skip
RELS_BY_AGE = {
    "child": {"mother": 6, "father": 4},
    "older": {"daughter": 30, "son": 20, "spouse": 20, "granddaughter": 8, "grandson": 4, "carer": 7, "friend": 5,
              "neighbour": 4},
    "adult": {"spouse": 30, "partner": 15, "mother": 12, "father": 8, "sister": 10, "brother": 7, "friend": 8,
              "advocate": 5, "daughter": 5},
    "maternity": {"spouse": 55, "partner": 35, "mother": 10},
}  # fmt: skip


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


_AMERICAN = (
    (r"\brings out\b", "just rings"), (r"\b(rang|rung)\b", "called"), (r"\bring\b", "call"), (r"\bRang\b", "Called"),
    (r"\bringing\b", "calling"), (r"\btrolley\b", "gurney"), (r"\ba lift\b", "a ride"), (r"\bpost it\b", "mail it"),
    (r"\b(been|turn|going) round\b", r"\1 around"), (r"\bpop in\b", "stop by"),
    (r"\bAcknowledgement\b", "Acknowledgment"),
)  # fmt: skip


def _american(text: str) -> str:
    """The Harbor Point accounts are in American English."""
    for pattern, replacement in _AMERICAN:
        text = re.sub(pattern, replacement, text)
    return text


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(2026)  # noqa: S311 - invented demo data, not security
        self.names: set[str] = set()
        self.accounts: set[str] = set()
        self.used: dict[str, float] = {s.key: 0.0 for s in SCENARIOS}
        self.serial = 0

    # People ---------------------------------------------------------------------------------------------------
    def name(self, group: str, sex: str, family: str = "") -> str:
        females, males, families = NAMES[group]
        for _ in range(200):
            first = self.rng.choice(females if sex == "F" else males)
            full = f"{first} {family or self.rng.choice(families)}"
            if full not in self.names:
                self.names.add(full)
                return full
            family = ""
        raise RuntimeError("name bank exhausted")

    def phone(self, site: str, landline: bool) -> str:
        n = self.rng.randrange(1000)
        if site == _HPM:
            return f"(555) 01{self.rng.randrange(10)}-{self.rng.randrange(10000):04d}"
        return f"01632 960{n:03d}" if landline else f"07700 900{n:03d}"

    def email(self, full_name: str) -> str:
        first, *_, last = full_name.split()
        domain = self.rng.choice(("example.com", "example.net"))
        return f"{_ascii(first)}.{_ascii(last)}{self.rng.randrange(10, 99)}@{domain}".replace("'", "")

    def address(self, site: str) -> str:
        rng = self.rng
        if site == _RGH:
            town, district = rng.choice(RGH_TOWNS)
            letters = "".join(rng.choice("ABDEFGHJLNPQRSTUWXY") for _ in range(2))
            return (
                f"{rng.randrange(1, 120)} {rng.choice(RGH_STREETS)}\n{town}\n{district} {rng.randrange(1, 9)}{letters}"
            )
        town, zip_code = rng.choice(HPM_TOWNS)
        apt = f", Apt {rng.randrange(1, 9)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
        return f"{rng.randrange(10, 2400)} {rng.choice(HPM_STREETS)}{apt}\n{town}, NY {zip_code}"

    def patient(self, site: str, group: str, sex: str, age: int) -> dict[str, Any]:
        name = self.name(group, sex)
        born = date(2026, 1, 1) - timedelta(days=int(age * 365.25) + self.rng.randrange(365))
        mrn = f"RGH{self.rng.randrange(10**7):07d}" if site == _RGH else f"HPM-{self.rng.randrange(10**8):08d}"
        no_email = self.rng.random() < (0.6 if age >= 70 else 0.2)
        phone = self.phone(site, landline=age >= 65 and self.rng.random() < 0.6)
        email = "" if no_email else self.email(name)
        return {"name": name, "mrn": mrn, "dob": born.isoformat(), "phone": phone, "email": email,
                "address": self.address(site)}  # fmt: skip

    # One case -------------------------------------------------------------------------------------------------
    def scenario(self, site: str, kind: str) -> Scenario:
        fits = [s for s in SCENARIOS if site in s.sites and kind in s.types]
        low = min(self.used[s.key] / s.weight for s in fits)
        choice = self.rng.choice([s for s in fits if self.used[s.key] / s.weight <= low + 0.5])
        self.used[choice.key] += 1
        return choice

    def case(self, site: str) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = self.rng
        kind = _pick(rng, TYPE_WEIGHTS[site])
        sc = self.scenario(site, kind)
        channel = rng.choice(sc.opts["chan"].split(",")) if "chan" in sc.opts else _pick(rng, CHANNEL_WEIGHTS[kind])
        if site == _HPM and kind == "complaint" and (channel in WRITTEN or rng.random() < 0.5):
            kind = "grievance"
        band = sc.age if sc.age != "any" else rng.choice(("adult", "older"))
        age = {"child": (1, 14), "adult": (19, 64), "older": (68, 95), "maternity": (19, 42)}[band]
        patient_age = rng.randint(*age)
        if site == _RGH:
            lang = "en"
            if "lang" in sc.opts or rng.random() < 0.1:  # take the community languages in turn
                self.serial += 1
                lang = ("pl", "ur", "pa", "so", "zh")[self.serial % 5]
        elif "lang" in sc.opts:
            lang = "es" if rng.random() < 0.75 else "zh"
        else:
            roll = rng.random()
            lang = "es" if roll < 0.26 else "zh" if roll < 0.3 else "en"
        group = lang if lang != "en" else ("en_gb" if site == _RGH else "en_us")
        dept_key = rng.choice(sc.depts)
        sex = "F" if band == "maternity" or dept_key == "maternity" else rng.choice("FM")
        anon = "anon" in sc.opts and rng.random() < 0.35
        rep = not anon and (sc.voice == "rep" or (sc.voice == "either" and rng.random() < 0.3))
        patient = None if anon else self.patient(site, group, sex, patient_age)
        complainant = None
        slots: dict[str, Any] = {}
        if rep and patient:
            complainant, slots = self.representative(site, group, sex, patient, patient_age, band, "dead" in sc.opts)
        else:
            slots = {"P": "I", "Pc": "I", "Pn": "me", "Pobj": "me", "Pposs": "my", "Ppossc": "My", "Psub": "I",
                     "Psubc": "I", "Pself": "myself", "is": "am", "has": "have"}  # fmt: skip
        account, wants, slots = self.account(site, sc, dept_key, channel, slots, patient, complainant, patient_age)
        issues = []
        if kind not in ("compliment", "enquiry"):
            for cat, sev, stage, staff, dkey, summary in sc.issues:
                code = DEPTS[dkey or dept_key][site][0]
                issues.append({"category": cat, "severity": sev, "stage": stage, "department": code,
                               "staff_group": staff, "summary": summary.format_map(slots)})  # fmt: skip
        interpreter = lang != "en" and rng.random() < 0.85
        if "access" in sc.opts:
            access = ACCESS[sc.opts["access"]][site]
            interpreter = interpreter or sc.opts["access"] == "deaf"
        else:
            access = rng.choice(ACCESS_POOL) if rng.random() < (0.2 if patient_age >= 70 else 0.07) else ""
        restrict_reason, _, p = sc.opts.get("restrict", ":0").partition(":")
        restricted = bool(restrict_reason) and rng.random() < float(p)
        spec: dict[str, Any] = {
            "site": site, "type": kind, "channel": channel, "received_days_ago": 0,
            "received_time": self.received_time(channel), "event_days_before_received": None,
            "awareness_days_before_received": None, "patient": patient, "complainant": complainant, "language": lang,
            "interpreter": interpreter, "accessibility": access, "wants": wants, "account": account, "issues": issues,
            "status": "new", "owner": None, "restricted": restricted,
            "restricted_reason": restrict_reason if restricted else "",
            "red_flags": [f for f in sc.opts.get("flags", "").split(",") if f], "consequence": 1, "likelihood": 1,
            "us_flags": {}, "topics": [], "notes": [], "calls": [], "informal_outcome": None,
        }  # fmt: skip
        meta = {"scenario": sc, "ward": slots["ward"], "dept": DEPTS[dept_key][site][0], "age": patient_age,
                "slots": slots}  # fmt: skip
        self.timing(spec, sc)
        return spec, meta

    def representative(
        self, site: str, group: str, sex: str, patient: dict[str, Any], age: int, band: str, dead: bool
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = self.rng
        words = SITE_WORDS[site]
        rel = _pick(rng, RELS_BY_AGE[band] if not dead else {"daughter": 4, "son": 3, "spouse": 3, "granddaughter": 1})
        if rel == "spouse":
            rel = "husband" if sex == "F" else "wife"
        comp_sex, role = RELATIONS[rel]
        comp_sex = comp_sex or rng.choice("FM")
        family = (
            patient["name"].split()[-1] if role not in ("friend", "neighbour", "named") and rng.random() < 0.75 else ""
        )
        name = self.name(group, comp_sex, family)
        pn, pfull = patient["name"].split()[0], patient["name"]
        word = {
            "parent": words["mum"] if sex == "F" else "dad",
            "grandparent": words["gran"][0 if sex == "F" else 1],
            "spouse": "wife" if sex == "F" else "husband",
            "child": "daughter" if sex == "F" else "son",
            "sibling": "sister" if sex == "F" else "brother",
        }.get(role, role)
        relationship = {"carer": words["carer"], "neighbour": words["neighbour"]}.get(rel, rel)
        if role in ("friend", "neighbour"):
            label = words["neighbour"] if role == "neighbour" else "friend"
            phrase, intro = f"my {label} {pn}", f"my {label} {pfull}, who is {age}"
        elif role == "named":
            phrase = pn
            intro = f"{pfull}, who I care for" if rel == "carer" else f"{pfull}, who I support as an advocate"
        else:
            phrase = f"my {word}"
            intro = f"my late {word}, {pfull}" if dead else f"my {word}, {pfull}, who is {age}"
        if dead:
            consent = "written"
        elif role == "child" and band == "child":
            consent = "parental_responsibility"
        elif rel == "advocate":
            consent = "written"
        elif role == "parent" and rng.random() < 0.25:
            consent = "power_of_attorney"
        else:
            consent = _pick(rng, {"verbal": 45, "written": 35, "not_yet": 20})
        shares_home = rel in ("husband", "wife", "partner") or (role == "child" and band == "child")
        complainant = {
            "name": name, "relationship": relationship, "phone": self.phone(site, landline=False),
            "email": self.email(name) if rng.random() < 0.75 else "",
            "address": patient["address"] if shares_home else self.address(site), "consent": consent,
        }  # fmt: skip
        he = sex == "M"
        slots = {
            "P": phrase, "Pc": phrase[0].upper() + phrase[1:], "Pn": phrase, "Pobj": "him" if he else "her",
            "Pposs": "his" if he else "her", "Ppossc": "His" if he else "Her", "Psub": "he" if he else "she",
            "Psubc": "He" if he else "She", "Pself": "himself" if he else "herself", "is": "is", "has": "has",
            "intro": intro,
        }  # fmt: skip
        return complainant, slots

    def account(
        self, site: str, sc: Scenario, dept_key: str, channel: str, slots: dict[str, Any],
        patient: dict[str, Any] | None, complainant: dict[str, Any] | None, age: int,
    ) -> tuple[str, str, dict[str, Any]]:  # fmt: skip
        rng = self.rng
        words = SITE_WORDS[site]
        for _ in range(60):
            values = dict(slots)
            values.update({k: v for k, v in words.items() if isinstance(v, str)})
            values.update(
                ward=rng.choice(DEPTS[dept_key][site][1]), day=rng.choice(WEEKDAYS), time=rng.choice(DAY_TIMES),
                night=rng.choice(NIGHT_TIMES), hours=rng.randint(3, 12), days=rng.randint(2, 9),
                weeks=rng.randint(5, 16), age=age, amt=rng.choice(AMOUNTS), staffname=rng.choice(data.FIRST_NAMES),
                nurse=rng.choice(words["nurse"]), doctor=rng.choice(words["doctor"]),
                pn=patient["name"].split()[0] if patient else "",
            )  # fmt: skip
            values["Nurse"] = values["nurse"][0].upper() + values["nurse"][1:]
            values["x"] = rng.choice(sc.x).format_map(values) if sc.x else ""
            values["y"] = rng.choice(sc.y).format_map(values) if sc.y else ""
            sentences = _SENTENCE.split(sc.text.format_map(values).strip())
            if complainant and slots.get("intro") and channel != "social_media" and rng.random() < 0.55:
                opener = {"phone": "I'm ringing about", "in_person": "I've come in about", "other": "This is about"}
                lead = opener.get(channel, rng.choice(("I am writing about", "I'm writing on behalf of")))
                sentences.insert(0, f"{lead} {slots['intro']}.")
                if "{Pc}, who" not in sc.text:  # the patient is named in the opener: go on with "she" or "he"
                    sentences[1:] = _SENTENCE.split(sc.text.format_map({**values, "Pc": slots["Psubc"]}).strip())
            if len(sentences) < 6 and (len(sentences) < 3 or rng.random() < 0.4):
                sentences.append(rng.choice(TONE_CLOSERS[sc.tone]))
            account = " ".join(sentences)
            account = _american(account) if site == _HPM else account
            if account not in self.accounts and 3 <= len(sentences) <= 6:
                self.accounts.add(account)
                wants = rng.choice(sc.wants).format_map(values)
                return account, _american(wants) if site == _HPM else wants, values
        raise RuntimeError(f"could not write a distinct account for {sc.key}")

    def received_time(self, channel: str) -> str:
        rng = self.rng
        if channel == "letter":
            hour = rng.randint(9, 11)
        elif channel in ("phone", "in_person"):
            hour = rng.choice((8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 16, 17, 18, 19))
        else:
            hour = rng.choice((0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 21, 22, 22, 23, 23))
        return f"{hour:02d}:{rng.randrange(60):02d}"

    def timing(self, spec: dict[str, Any], sc: Scenario) -> None:
        rng = self.rng
        band = _pick(rng, {"days": 7, "recent": 28, "months": 25, "half": 25, "old": 15})
        lo, hi = {"days": (0, 3), "recent": (4, 30), "months": (31, 120), "half": (121, 240), "old": (241, 400)}[band]
        spec["received_days_ago"] = rng.randint(lo, hi)
        kind = spec["type"]
        if "old" in sc.opts:
            spec["event_days_before_received"] = rng.randint(380, 560)
            if rng.random() < 0.5:
                spec["awareness_days_before_received"] = rng.randint(10, 90)
        elif kind == "enquiry":
            spec["event_days_before_received"] = None
        elif kind in ("compliment", "advocacy"):
            spec["event_days_before_received"] = None if rng.random() < 0.3 else rng.randint(1, 60)
        else:
            spec["event_days_before_received"] = _pick_range(rng, {(0, 3): 40, (4, 30): 40, (31, 180): 15})
            if rng.random() < 0.03:
                spec["awareness_days_before_received"] = rng.randint(1, 20)


def _pick_range(rng: random.Random, weights: dict[tuple[int, int], float]) -> int | None:
    if rng.random() < 0.05:
        return None
    lo, hi = rng.choices(list(weights), weights=list(weights.values()))[0]
    return rng.randint(lo, hi)


def _status(rng: random.Random, spec: dict[str, Any]) -> str:
    kind, days = spec["type"], spec["received_days_ago"]
    if kind == "concern":
        roll = rng.random()
        if days >= 1 and roll < 0.4:
            spec["informal_outcome"] = "resolved_first_contact"
            return "closed"
        if days >= 3 and roll < 0.55:
            spec["informal_outcome"] = "declined_formal"
            return "closed"
        if days < 3:
            return rng.choice(("new", "acknowledged"))
        if days < 20:
            return rng.choice(("acknowledged", "under_investigation"))
        return _pick(rng, {"closed": 85, "responded": 10, "withdrawn": 5})
    if kind in ("compliment", "enquiry"):
        if days < 3:
            return rng.choice(("new", "acknowledged"))
        return _pick(rng, {"closed": 88, "acknowledged": 7, "responded": 5})
    if kind == "advocacy":
        if days < 3:
            return rng.choice(("new", "acknowledged"))
        if days < 30:
            return _pick(rng, {"under_investigation": 60, "acknowledged": 20, "responded": 20})
        return _pick(rng, {"closed": 85, "responded": 15})
    age = days * (2 if spec["site"] == _HPM else 1)  # the CMS clock runs faster than the NHS one
    if age < 3:
        return _pick(rng, {"new": 70, "acknowledged": 30})
    if age < 10:
        return _pick(rng, {"acknowledged": 50, "under_investigation": 50})
    if age < 35:
        return _pick(rng, {"under_investigation": 55, "response_drafted": 25, "acknowledged": 10, "responded": 10})
    if age < 70:
        return _pick(rng, {"responded": 35, "response_drafted": 15, "closed": 40, "under_investigation": 5,
                           "withdrawn": 5})  # fmt: skip
    return _pick(rng, {"closed": 88, "withdrawn": 6, "responded": 6})


def _finish(rng: random.Random, spec: dict[str, Any], meta: dict[str, Any]) -> None:
    """Owner, risk scores, US flags, topics, notes and calls, consistent with what the case already says."""
    site, kind, status = spec["site"], spec["type"], spec["status"]
    sc: Scenario = meta["scenario"]
    if spec["restricted"]:
        spec["owner"] = MANAGER
    elif rng.random() < {"new": 0.85, "acknowledged": 0.25}.get(
        status, 0.35 if kind in ("compliment", "enquiry") else 0.05
    ):
        spec["owner"] = None
    else:
        spec["owner"] = MANAGER if rng.random() < 0.2 else OWNERS[site]
    severity = max((i["severity"] for i in spec["issues"]), default=0)
    consequence, likelihood = {0: ((1, 1), (1, 1)), 1: ((1, 2), (1, 3)), 2: ((2, 3), (2, 3)), 3: ((4, 5), (2, 4))}[
        severity
    ]
    spec["consequence"], spec["likelihood"] = rng.randint(*consequence), rng.randint(*likelihood)
    topics = [t for t in sc.opts.get("topics", "").split(",") if t]
    if site == _HPM:
        cats = {i["category"] for i in spec["issues"]}
        if kind in ("complaint", "grievance") and cats & {"quality", "safety"} and "quality_of_care" not in topics:
            topics.append("quality_of_care")
        patient = spec["patient"]
        medicare = bool(patient) and (meta["age"] >= 65 or "medicare" in sc.opts)
        formal = kind == "grievance"
        spec["us_flags"] = {
            "resolved_at_time_by_staff_present": spec["informal_outcome"] == "resolved_first_contact"
            or (kind == "complaint" and rng.random() < 0.5),
            "postponed": bool(meta.get("overdue")),
            "referred": medicare
            and bool({"quality_of_care", "premature_discharge"} & set(topics))
            and rng.random() < 0.5,
            "requires_investigation": formal,
            "requires_further_action": (formal and severity >= 2) or kind == "advocacy",
            "requested_formal_or_response": formal and (spec["channel"] in WRITTEN or rng.random() < 0.6),
            "medicare_beneficiary": medicare,
        }
    else:
        topics = [t for t in topics if t in ("abuse", "neglect")]
    spec["topics"] = topics
    notes, calls = _timeline(rng, spec, meta)
    spec["notes"] = [_american(n) for n in notes] if site == _HPM else notes
    spec["calls"] = [{**c, "summary": _american(c["summary"])} for c in calls] if site == _HPM else calls


def _timeline(rng: random.Random, spec: dict[str, Any], meta: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    kind, status, site = spec["type"], spec["status"], spec["site"]
    dept = _DEPT_NAMES[(site, meta["dept"])]
    ward = meta["ward"]
    notes: list[str] = []
    comp = spec["complainant"]
    if comp and comp["consent"] == "not_yet":
        notes.append(f"Consent form sent to {comp['name']}; we cannot share details until it is back.")
    if kind == "compliment":
        if status != "new":
            notes.append(f"Thanks shared with {ward} and the {dept} manager.")
        if status == "closed" and rng.random() < 0.4:
            notes.append("Added to the staff recognition board.")
    elif kind == "enquiry":
        if status != "new":
            notes.append(rng.choice(("Answered; leaflet sent.", "Information given; no further action needed.")))
    elif kind == "advocacy":
        if status != "new":
            notes.append("Consent to act and supporting documents received.")
        if status in ("under_investigation", "responded", "closed"):
            notes.append(rng.choice(("Contacted the payer on the patient's behalf; reference logged.",
                                     "Referred to the benefits adviser and followed up.",
                                     "Called the provider; appointment and paperwork confirmed.")))  # fmt: skip
        if status == "closed":
            notes.append("Outcome explained to the patient by phone.")
    elif spec["informal_outcome"] == "resolved_first_contact":
        notes.append(f"Rang the {dept} team there and then; sorted on the day.")
    elif spec["informal_outcome"] == "declined_formal":
        notes.append(f"Offered a formal complaint; declined. Passed to the {dept} lead for learning.")
    elif status != "new":
        notes.append("Acknowledgement sent." if site == _RGH else "Acknowledgement letter sent.")
        if status not in ("acknowledged", "withdrawn"):
            notes.append(f"Investigation request sent to {dept}.")
        if meta.get("overdue"):
            notes.append(f"Chased {dept} for a statement again; none received yet.")
        elif status in ("response_drafted", "responded", "closed"):
            notes.append("Statement received from the ward manager.")
        if status == "response_drafted":
            notes.append("Draft response with the manager for sign-off.")
        elif status in ("responded", "closed") and kind != "concern":
            notes.append("Final response sent.")
        if status == "closed" and kind != "concern":
            notes.append("Closed: " + rng.choice(("upheld.", "partly upheld.", "not upheld.")))
        if status == "withdrawn":
            notes.append("Withdrawn: " + rng.choice(("sorted out on the ward.", "did not want to take it further.")))
    notes = notes if len(notes) <= 3 else [notes[0], *notes[-2:]]
    calls: list[dict[str, Any]] = []
    if spec["channel"] == "phone":
        summary = {"enquiry": "Answered the question on the call.", "compliment": "Took the message of thanks.",
                   "advocacy": "Took details of the problem and the documents needed."}.get(
            kind, "Took the account; explained what happens next.")  # fmt: skip
        calls.append({"minutes": rng.randint(4, 35), "summary": summary})
    if meta.get("overdue"):
        calls.append({"minutes": rng.randint(5, 20), "summary": "Complainant rang to chase; apologised for the delay."})
    elif status in ("responded", "closed") and kind in ("complaint", "grievance") and rng.random() < 0.4:
        calls.append({"minutes": rng.randint(5, 40), "summary": "Talked through the response; no further questions."})
    return notes, calls


def demo_case_specs() -> list[dict[str, Any]]:
    """About 300 invented cases across both demo hospitals, deterministic (seeded random.Random(2026))."""
    builder = _Builder()
    rng = builder.rng
    cases = [builder.case(_RGH if rng.random() < 0.6 else _HPM) for _ in range(295)]
    cases += _duplicates(builder, cases, count=5)
    for spec, _meta in cases:
        spec["status"] = _status(rng, spec)
    formal = [c for c in cases if c[0]["type"] in ("complaint", "grievance")]
    late = [c for c in formal if 75 <= c[0]["received_days_ago"] <= 330 and c[0]["status"] in ("closed", "responded")]
    for spec, meta in rng.sample(late, min(len(late), round(0.08 * len(formal)))):
        spec["status"] = _pick(rng, {"under_investigation": 70, "acknowledged": 30})
        meta["overdue"] = True
    for spec, meta in cases:
        _finish(rng, spec, meta)
    specs = [spec for spec, _meta in sorted(cases, key=lambda c: -c[0]["received_days_ago"])]
    _histories(specs)
    return specs


def _duplicates(
    builder: _Builder, cases: list[tuple[dict[str, Any], dict[str, Any]]], count: int
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Second contacts about the same patient within 30 days of the first, as happens when nobody rings back."""
    rng = builder.rng
    eligible = [
        c for c in cases if c[0]["type"] in ("complaint", "grievance", "concern") and c[0]["patient"] and c[0]["issues"]
    ]
    out = []
    for (first, meta), template in zip(rng.sample(eligible, count), CHASERS, strict=True):
        gap = rng.randint(3, 25)
        first["received_days_ago"] = max(first["received_days_ago"], gap)
        ago = "last week" if 5 <= gap <= 9 else f"{gap} days ago"
        account = template.format_map({**meta["slots"], "ago": ago})
        account = _american(account) if first["site"] == _HPM else account
        builder.accounts.add(account)
        issue = first["issues"][0]
        event = first["event_days_before_received"]
        spec = {
            **copy.deepcopy(first),
            "type": "concern",
            "channel": rng.choice(("phone", "phone", "email")),
            "received_days_ago": first["received_days_ago"] - gap,
            "received_time": builder.received_time("phone"),
            "account": account,
            "wants": "I want a call back from whoever is dealing with this, and a date for an answer.",
            "issues": [{**issue, "category": "communication", "severity": 1, "stage": "other",
                        "staff_group": "administrative", "summary": "Second contact: no call back after the first"}],
            "red_flags": [],
            "restricted": False,
            "restricted_reason": "",
            "event_days_before_received": None if event is None else event + gap,
            "awareness_days_before_received": None,
        }  # fmt: skip
        out.append((spec, {**meta, "overdue": False}))
    return out


# -- History: when each step was done ---------------------------------------------------------------------------

OUTCOME_WEIGHTS = {"upheld": 30, "partly_upheld": 35, "not_upheld": 35}
_OUTCOME_WORDS = {"upheld": "upheld.", "partly_upheld": "partly upheld.", "not_upheld": "not upheld."}
REOPEN_REASONS = (
    "The complainant wrote back: the response did not answer the question about the discharge plan.",
    "The family rang with new questions after reading the response; looking at the records again.",
    "The patient sent photographs the investigation had not seen; reopened to consider them.",
)


def _hhmm(rng: random.Random, first: int = 9, last: int = 16) -> str:
    return f"{rng.randint(first, last):02d}:{rng.randrange(60):02d}"


def _history(rng: random.Random, spec: dict[str, Any]) -> dict[str, Any]:
    """When the office acknowledged, answered and decided the case, as days after the day received.

    Days are counted as the site counts them (as the dashboard does): working days at Riverside, calendar days
    at Harbor Point. The loader uses only the steps the case's status reaches, and never goes past "now".
    """
    site, kind, age = spec["site"], spec["type"], spec["received_days_ago"]
    extension_margin: int | None = None  # the agreed response date, in days after the response went out
    us = site == _HPM
    # The days that have passed since the case came in (roughly, for working days: the loader caps the rest).
    elapsed = age if us else age * 5 // 7
    history: dict[str, Any] = {
        "ack_days": 0, "ack_time": _hhmm(rng), "respond_days": 0, "respond_time": _hhmm(rng, 10, 17),
        "extension_days": None, "interim_days": None, "interim_time": None, "followup_days": None,
        "outcome": _pick(rng, OUTCOME_WEIGHTS), "referral": None, "reopen": None,
    }  # fmt: skip
    if us and kind in ("complaint", "grievance", "concern"):  # any of these may be a grievance under the CMS rules
        history["ack_days"] = int(_pick(rng, {"0": 40, "1": 35, "2": 15, "3": 10}))
        plan = _pick(rng, {"within_seven": 65, "interim": 25, "late": 10})
        if plan == "within_seven":
            history["respond_days"] = rng.randint(max(1, history["ack_days"]), 7)
        elif plan == "late":
            history["respond_days"] = rng.randint(8, 20)
        else:
            interim, followup = rng.randint(3, 7), rng.choice((14, 21, 30))
            kept = rng.random() < 0.8  # most answer within the follow-up the interim notice promised
            history.update(interim_days=interim, interim_time=_hhmm(rng), followup_days=followup)
            history["respond_days"] = interim + (rng.randint(5, followup) if kept else followup + rng.randint(2, 10))
    elif kind in ("complaint", "grievance"):  # Riverside: 3 working days to acknowledge, 25 to respond
        history["ack_days"] = int(_pick(rng, {"0": 12, "1": 33, "2": 25, "3": 15, "4": 9, "5": 6}))
        plan = _pick(rng, {"on_time": 78, "late": 14, "extended": 8})
        if plan == "on_time":  # most go out in the last week or two of the 25 days
            history["respond_days"] = max(rng.randint(8, 25), rng.randint(8, 25))
        elif plan == "late":
            history["respond_days"] = rng.randint(26, 36)
        else:  # a later date agreed with the complainant before the 25 days ran out, and kept
            history["respond_days"] = rng.randint(27, 35)
            extension_margin = rng.randint(0, 5)
    elif kind == "advocacy":
        history["ack_days"] = rng.randint(0, 2)
        history["respond_days"] = rng.randint(5, 30)
    else:  # concerns, compliments and enquiries: answered within days
        history["ack_days"] = rng.randint(0, 2)
        history["respond_days"] = rng.randint(2, 12)
    history["respond_days"] = min(history["respond_days"], elapsed)
    history["ack_days"] = min(history["ack_days"], history["respond_days"])
    if extension_margin is not None and history["respond_days"] > 25:  # none for a case too young to need one
        history["extension_days"] = history["respond_days"] + extension_margin
    return history


def _histories(specs: list[dict[str, Any]]) -> None:
    """Give every case its history, then pick the few referred to an outside body and the few reopened.

    A second generator (seeded apart from the one that wrote the cases) keeps the cases themselves unchanged.
    """
    rng = random.Random(4052)  # noqa: S311 - invented demo data, not security
    for spec in specs:
        spec["history"] = _history(rng, spec)
        words = _OUTCOME_WORDS[spec["history"]["outcome"]]
        spec["notes"] = ["Closed: " + words if note.startswith("Closed: ") else note for note in spec["notes"]]

    def closed(site: str, kind: str, days_ago: tuple[int, int]) -> list[dict[str, Any]]:
        return [
            s for s in specs
            if s["site"] == site and s["type"] == kind and s["status"] == "closed"
            and days_ago[0] <= s["received_days_ago"] <= days_ago[1] and s["history"]["referral"] is None
        ]  # fmt: skip

    # About 3% of Riverside's closed complaints go on to the ombudsman, weeks after the response.
    share = max(2, round(0.03 * len(closed(_RGH, "complaint", (0, 400)))))
    for spec in rng.sample(closed(_RGH, "complaint", (150, 400)), share):
        spec["history"]["referral"] = {"body": "ombudsman", "weeks_after_response": rng.randint(4, 10)}
    # A few Harbor Point grievances go on: Medicare patients' to the QIO, one to the state survey agency.
    medicare = [s for s in closed(_HPM, "grievance", (60, 400)) if s["us_flags"]["medicare_beneficiary"]]
    for spec in rng.sample(medicare, 2):
        spec["history"]["referral"] = {"body": "qio", "weeks_after_response": rng.randint(1, 4)}
    for spec in rng.sample(closed(_HPM, "grievance", (60, 400)), 1):
        spec["history"]["referral"] = {"body": "state_agency", "weeks_after_response": rng.randint(1, 4)}
    # Two Riverside complaints and one Harbor Point grievance are reopened after closing, and answered again.
    reopened = rng.sample(closed(_RGH, "complaint", (120, 330)), 2) + rng.sample(
        closed(_HPM, "grievance", (90, 330)), 1
    )
    for spec, reason in zip(reopened, REOPEN_REASONS, strict=True):
        spec["history"]["reopen"] = {
            "days_after_response": rng.randint(7, 28), "answer_days": rng.randint(10, 25), "reason": reason
        }  # fmt: skip
