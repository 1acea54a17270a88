/* demo.c: a year of believable Lotsbok data for a fresh environment (demo.h).
 *
 * Two phases. The first is a pure simulation in memory: it draws companies in
 * Norrtälje kommun (valid organisationsnummer of the right legal forms, SNI
 * 2007 codes that fit their names, contact persons), plans each lotsärende
 * (opening, contacts, hand-offs, acknowledgement, decision, closing) as timed
 * actions, and plays them in time order from a heap. Playing an action appends
 * a "step": one domain operation with everything it needs, its actor and its
 * instant. The simulation also plays the worker (follow-up calls scheduled and
 * merged by lb_fr_decide exactly as lots-worker decides them, overdue flags
 * the night a hand-off becomes overdue) and the lots making those calls. Ids
 * and event sequence numbers are predicted (every type's ids count from 1 in a
 * fresh environment and every step appends exactly one event), so steps can
 * refer to records made by earlier steps.
 *
 * The second phase writes the steps through lb_store_batch, a thousand
 * operations per transaction. Each operation only reads its step and writes
 * its own locals, so a batch that is run again after the map grew does the
 * same. A created record whose id differs from the predicted one stops the
 * demo (LB_EINTERNAL): nothing is silently written against the wrong record.
 *
 * The worker: lots-worker replays the whole log when it starts and would make
 * its follow-up requests for every closure and decision again. The demo
 * therefore stores, beside each follow-up it made as the worker, the worker's
 * Idempotency-Key answer ("ev-<seq>-lots", "ev-<seq>-unit-merge-<F>", ...),
 * with the hash of the very request the worker will send, exactly as lotsd
 * would have stored it had the worker made the request live. The catching-up
 * worker gets the first answer back and creates nothing twice.
 *
 * Randomness: one xoshiro256** generator seeded by splitmix64 from the seed,
 * consumed in a fixed order; the heap breaks ties by insertion order. Only the
 * demo users' passwords come from libsodium, and they appear in no event. */
#include "lotsbok/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/enums.h"
#include "lotsbok/error.h"
#include "lotsbok/followup_rules.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/timeutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_HANDOFFS 4
#define MAX_ITEMS 16
#define BATCH 1000
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL

/* --- PRNG ------------------------------------------------------------------ */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); n > 0. The modulo bias is far below anything visible. */
static int rnd(struct rng *r, int n)
{
    return n <= 1 ? 0 : (int)(rng_next(r) % (uint64_t)n);
}

/* Uniform in [lo, hi]. */
static int rnd_in(struct rng *r, int lo, int hi)
{
    return lo + rnd(r, hi - lo + 1);
}

/* True with probability percent / 100. */
static bool chance(struct rng *r, int percent)
{
    return rnd(r, 100) < percent;
}

static double unif(struct rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* Standard normal (Box-Muller; one value per call keeps the stream simple). */
static double gauss(struct rng *r)
{
    double u = unif(r), v = unif(r);
    if (u < 1e-12)
        u = 1e-12;
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

/* An index drawn by integer weights. */
static int pick_w(struct rng *r, const int *w, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    int x = rnd(r, total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, arr) ((arr)[rnd((r), (int)N(arr))])

/* --- reference data ------------------------------------------------------------ */

static const char *const localities[] = {
    "Norrtälje",    "Rimbo",     "Hallstavik", "Älmsta",   "Grisslehamn", "Edsbro", "Bergshamra",
    "Spillersboda", "Svanberga", "Vätö",       "Herräng",  "Väddö",       "Finsta", "Skebobruk",
    "Söderby-Karl", "Riala",     "Blidö",      "Furusund", "Rådmansö",    "Gräddö", "Köpmanholm"};
static const int locality_w[] = {34, 11, 8, 5, 4, 3, 3, 3, 3, 3, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1};

static const char *const first_names[] = {
    "Anna",  "Erik",   "Karin",   "Lars",   "Maria",   "Johan", "Eva",    "Per",
    "Lena",  "Anders", "Sara",    "Mikael", "Emma",    "Jonas", "Linnéa", "Fredrik",
    "Ida",   "Magnus", "Sofia",   "Henrik", "Elin",    "Mats",  "Malin",  "Patrik",
    "Hanna", "Stefan", "Johanna", "Ulf",    "Camilla", "Björn", "Åsa",    "Göran",
    "Jenny", "Niklas", "Therese", "Olle",   "Frida",   "Tomas", "Märta",  "Kjell"};
static const char *const surnames[] = {
    "Andersson", "Johansson", "Karlsson",   "Nilsson",    "Eriksson", "Larsson",   "Olsson",
    "Persson",   "Svensson",  "Gustafsson", "Pettersson", "Jonsson",  "Jansson",   "Hansson",
    "Bengtsson", "Lindqvist", "Lindberg",   "Lundgren",   "Berglund", "Söderberg", "Sjöberg",
    "Holmström", "Nordin",    "Ekström",    "Lundin",     "Björk",    "Forsberg",  "Wallin",
    "Engström",  "Öberg",     "Sandberg",   "Åberg",      "Blom",     "Hedlund",   "Strand",
    "Mattsson",  "Nyström",   "Lind",       "Ahlström",   "Törnqvist"};
static const char *const words[] = {
    "Havsbris", "Sjöstjärnan", "Fyren",   "Ankaret",     "Kobben",   "Tallbacken", "Solbacken",
    "Ekhagen",  "Björkhagen",  "Ängen",   "Strandviken", "Udden",    "Roslagen",   "Skärgården",
    "Måsen",    "Ejdern",      "Lotsen",  "Kajutan",     "Norrsken", "Granen",     "Lärkan",
    "Vågen",    "Saltsjön",    "Kvarnen", "Nordanvind"};

enum unit_ix { U_BYGGLOV, U_MILJO, U_LIVSMEDEL, U_SERVERING, U_BRAND, U_GATA, U_UPPHANDLING, U_N };

static const char *const unit_codes[U_N] = {
    "bygglov",         "miljo",     "livsmedel",  "serveringstillstand",
    "raddningstjanst", "gata_park", "upphandling"};
static const char *const unit_handler[U_N] = {"bygglov.handl",    "miljo.handl", "miljo.handl",
                                              "servering.handl",  "brand.handl", "gata.handl",
                                              "upphandling.handl"};
static const char *const unit_ref_prefix[U_N] = {"BYGG", "MIL", "LIV", "ALK", "RTJ", "GATA", "UPH"};
/* NKI each unit's answers are drawn around (60-85), and its handling times. */
static const double unit_nki[U_N] = {63, 73, 80, 75, 83, 68, 65};
static const int unit_decide_min[U_N] = {15, 10, 5, 10, 5, 5, 20};
static const int unit_decide_max[U_N] = {60, 40, 20, 40, 25, 15, 60};
static const int unit_late_ack[U_N] = {15, 10, 5, 6, 4, 12, 8}; /* % acknowledged late */

static const char *const unit_notes[U_N][2] = {
    {"Företaget vill ha besked om bygglovsplikt och tidplan innan ansökan lämnas in.",
     "Ansökan om bygglov kommer in inom kort; företaget önskar ett förhandsmöte."},
    {"Behöver besked om anmälningsplikt och vilka krav som gäller för utsläpp och avfall.",
     "Företaget planerar ny verksamhet och vill veta vad en anmälan ska innehålla."},
    {"Registrering av livsmedelsanläggning inför öppning; företaget vill veta handläggningstiden.",
     "Ändrad inriktning på livsmedelsverksamheten; behöver besked om ny registrering."},
    {"Ansökan om serveringstillstånd för sommarsäsongen; företaget undrar över kunskapsprov.",
     "Företaget vill utöka serveringstiden och uteserveringen."},
    {"Frågor om tillstånd för brandfarlig vara och brandskydd i lokalen.",
     "Ombyggnad av lokalen; behöver råd om utrymning och brandskydd."},
    {"Markupplåtelse för uteservering och skyltning på allmän plats.",
     "Företaget behöver tillfälligt nyttja allmän mark under byggtiden."},
    {"Företaget vill lämna anbud och har frågor om kommande upphandlingar.",
     "Frågor om ramavtal och hur man blir leverantör till kommunen."}};

/* Company sectors: SNI 2007 code, name patterns ({P} locality, {S} surname,
 * {W} a word), the units their matters usually go to, and a noun for
 * subjects. `trade` companies ask about procurement more often. */
struct sector {
    const char *sni;
    int weight;
    const char *patterns[3];
    int units[4];
    int nunits;
    const char *what;
    bool trade;
};

static const struct sector sectors[] = {
    {"56100",
     10,
     {"{P} Krog", "Restaurang {W}", "{S}s Kök"},
     {U_LIVSMEDEL, U_SERVERING, U_BYGGLOV, U_GATA},
     4,
     "restaurangen",
     false},
    {"56100",
     5,
     {"Café {W}", "{P} Kaffestuga", "{W}s Fik"},
     {U_LIVSMEDEL, U_GATA, U_BYGGLOV},
     3,
     "kaféet",
     false},
    {"55101",
     4,
     {"{P} Hotell", "Hotell {W}", "{W} Pensionat"},
     {U_LIVSMEDEL, U_BRAND, U_SERVERING, U_BYGGLOV},
     4,
     "hotellet",
     false},
    {"55300",
     2,
     {"{P} Camping", "{W} Stugby", "{P} Havscamping"},
     {U_MILJO, U_BYGGLOV, U_BRAND, U_LIVSMEDEL},
     4,
     "campingen",
     false},
    {"41200",
     9,
     {"{P} Bygg", "{S}s Bygg & Snickeri", "{W} Byggtjänst"},
     {U_BYGGLOV, U_UPPHANDLING, U_MILJO, U_GATA},
     4,
     "byggföretaget",
     true},
    {"43210",
     4,
     {"{P} El", "{S}s El & Tele", "{W} Elservice"},
     {U_UPPHANDLING, U_BYGGLOV},
     2,
     "elfirman",
     true},
    {"43220",
     4,
     {"{P} Rör & VVS", "{S}s Rör", "{W} VVS"},
     {U_UPPHANDLING, U_MILJO},
     2,
     "VVS-firman",
     true},
    {"43120",
     3,
     {"{P} Mark & Schakt", "{S}s Grävtjänst", "{W} Entreprenad"},
     {U_MILJO, U_GATA, U_UPPHANDLING},
     3,
     "markentreprenören",
     true},
    {"43341",
     3,
     {"{S}s Måleri", "{P} Måleri & Tapetsering", "{W} Färg & Form"},
     {U_UPPHANDLING, U_MILJO},
     2,
     "måleriet",
     true},
    {"47111",
     3,
     {"{P} Livs", "Handlar'n {P}", "{W} Lanthandel"},
     {U_LIVSMEDEL, U_BYGGLOV, U_BRAND, U_GATA},
     4,
     "butiken",
     false},
    {"47521",
     2,
     {"{P} Järn & Fritid", "{P} Bygghandel", "{W} Järnhandel"},
     {U_BYGGLOV, U_BRAND, U_GATA},
     3,
     "järnhandeln",
     false},
    {"47761",
     2,
     {"{W} Blommor", "{P} Blomsterhandel", "{S}s Handelsträdgård"},
     {U_GATA, U_BYGGLOV},
     2,
     "blomsterhandeln",
     false},
    {"47789",
     2,
     {"Galleri {W}", "{W} Inredning", "{P} Hantverksbod"},
     {U_BYGGLOV, U_GATA},
     2,
     "butiken",
     false},
    {"47300",
     1,
     {"{P} Bensin & Service", "{W} Drivmedel", "{P} Servicestation"},
     {U_MILJO, U_BRAND, U_BYGGLOV},
     3,
     "stationen",
     false},
    {"01110",
     5,
     {"{S}s Gård", "{P} Lantbruk", "{W} Gård"},
     {U_MILJO, U_BYGGLOV, U_LIVSMEDEL},
     3,
     "gården",
     false},
    {"01410",
     2,
     {"{W} Mjölkgård", "{S}s Lantbruk", "{P} Mjölk"},
     {U_MILJO, U_BYGGLOV},
     2,
     "mjölkgården",
     false},
    {"01130",
     2,
     {"{W} Trädgård", "{P} Grönsaksodling", "{S}s Odlingar"},
     {U_LIVSMEDEL, U_MILJO, U_BYGGLOV},
     3,
     "odlingen",
     false},
    {"02100",
     2,
     {"{S}s Skog & Mark", "{P} Skogstjänst", "{W} Skog"},
     {U_MILJO, U_GATA},
     2,
     "skogsföretaget",
     true},
    {"62010",
     4,
     {"{W} IT", "{P} Data", "{W} Digital"},
     {U_UPPHANDLING, U_BYGGLOV},
     2,
     "IT-företaget",
     true},
    {"33150",
     4,
     {"{P} Båtvarv", "{W} Marina", "{S}s Båtservice"},
     {U_MILJO, U_BYGGLOV, U_GATA, U_BRAND},
     4,
     "varvet",
     false},
    {"30120",
     1,
     {"{W} Båtar", "{P} Båtbyggeri", "{S}s Båtbyggeri"},
     {U_MILJO, U_BYGGLOV},
     2,
     "båtbyggeriet",
     false},
    {"25110",
     2,
     {"{P} Mekaniska Verkstad", "{S}s Smide", "{W} Metall"},
     {U_MILJO, U_BYGGLOV, U_BRAND},
     3,
     "verkstaden",
     true},
    {"16230",
     2,
     {"{P} Snickerifabrik", "{W} Trä", "{S}s Snickeri"},
     {U_MILJO, U_BYGGLOV, U_BRAND},
     3,
     "snickeriet",
     true},
    {"10710",
     2,
     {"{P} Bageri", "{W} Bageri & Konditori", "{S}s Bröd"},
     {U_LIVSMEDEL, U_BYGGLOV},
     2,
     "bageriet",
     false},
    {"11050",
     1,
     {"{P} Bryggeri", "{W} Bryggeri", "{P} Hantverksbryggeri"},
     {U_LIVSMEDEL, U_SERVERING, U_MILJO},
     3,
     "bryggeriet",
     false},
    {"10200",
     1,
     {"{P} Rökeri", "{W} Fisk", "{S}s Fiskrökeri"},
     {U_LIVSMEDEL, U_MILJO},
     2,
     "rökeriet",
     false},
    {"49410",
     3,
     {"{S}s Åkeri", "{P} Transport", "{W} Frakt"},
     {U_MILJO, U_GATA, U_UPPHANDLING},
     3,
     "åkeriet",
     true},
    {"81300",
     2,
     {"{W} Trädgårdsanläggning", "{S}s Trädgårdstjänst", "{P} Grönyteskötsel"},
     {U_UPPHANDLING, U_GATA},
     2,
     "trädgårdsföretaget",
     true},
    {"96021",
     2,
     {"Salong {W}", "{W} Frisör", "{S}s Hårvård"},
     {U_MILJO, U_BYGGLOV},
     2,
     "salongen",
     false},
    {"45201",
     2,
     {"{P} Bilservice", "{S}s Bilverkstad", "{W} Motor"},
     {U_MILJO, U_BRAND, U_BYGGLOV},
     3,
     "verkstaden",
     false},
    {"68201",
     2,
     {"{P} Fastigheter", "{W} Fastighets", "{S}s Fastigheter"},
     {U_BYGGLOV, U_GATA},
     2,
     "fastighetsbolaget",
     false},
    {"93290",
     2,
     {"{W} Kajak & Friluftsliv", "{P} Äventyr", "{W} Naturturism"},
     {U_GATA, U_BYGGLOV, U_MILJO},
     3,
     "friluftsföretaget",
     false},
    {"71121",
     2,
     {"{S} Konsult", "{P} Teknikkonsult", "{W} Ingenjörer"},
     {U_UPPHANDLING},
     1,
     "konsultföretaget",
     true},
    {"88101",
     1,
     {"{W} Omsorg", "{P} Hemtjänst", "{S}s Omsorg"},
     {U_UPPHANDLING},
     1,
     "omsorgsföretaget",
     true},
};

/* Ekonomiska föreningar: a few cooperatives of their own kind. */
struct coop {
    const char *pattern, *sni;
    int units[3];
    int nunits;
    const char *what;
};
static const struct coop coops[] = {
    {"{P} Fiberförening ek. för.", "61100", {U_GATA, U_BYGGLOV}, 2, "fiberföreningen"},
    {"{P} Hamnförening ek. för.", "52220", {U_GATA, U_MILJO, U_BYGGLOV}, 3, "hamnföreningen"},
    {"{P} Handelsförening ek. för.", "47111", {U_LIVSMEDEL, U_BYGGLOV}, 2, "föreningens butik"},
    {"{W} Lammproducenter ek. för.", "01450", {U_MILJO, U_LIVSMEDEL}, 2, "föreningen"},
    {"{P} Hantverkskooperativ ek. för.", "47789", {U_BYGGLOV, U_GATA}, 2, "kooperativet"},
    {"{P} Bygdegårdsförening ek. för.",
     "68201",
     {U_BYGGLOV, U_BRAND, U_SERVERING},
     3,
     "bygdegården"},
};

static const char *const roles_ab[] = {"VD",        "Ägare",           "Delägare",
                                       "Platschef", "Ekonomiansvarig", "Projektledare"};

static const char *const subj_establishment[] = {
    "Etablering av ny verksamhet i {L}", "Nystart: {what} i {L}", "Frågor inför start av {what}"};
static const char *const subj_expansion[] = {"Utbyggnad av {what}", "Ny lokal och fler anställda",
                                             "Utökning av verksamheten i {L}"};
static const char *const subj_permit[U_N][2] = {
    {"Bygglov för tillbyggnad", "Bygglov för skylt och fasadändring"},
    {"Anmälan om miljöfarlig verksamhet", "Frågor om avlopp och dagvatten"},
    {"Registrering av livsmedelsanläggning", "Ändrad livsmedelsverksamhet"},
    {"Serveringstillstånd för sommarsäsongen", "Utökat serveringstillstånd"},
    {"Tillstånd för brandfarlig vara", "Brandskydd inför ombyggnad"},
    {"Markupplåtelse för uteservering", "Tillstånd att använda offentlig plats"},
    {"Frågor om ramavtal", "Frågor om upphandlingsregler"}};
static const char *const subj_premises[] = {"Söker verksamhetsmark i {L}", "Söker lokal i {L}",
                                            "Arrende av mark vid hamnen i {L}"};
static const char *const subj_procurement[] = {"Anbud i kommunens upphandling",
                                               "Vill bli leverantör till kommunen",
                                               "Frågor om direktupphandling"};
static const char *const subj_recruitment[] = {"Kompetensförsörjning och rekrytering",
                                               "Rekrytering av säsongspersonal",
                                               "Praktikplatser och lärlingar"};
static const char *const subj_other[] = {"Bredband till verksamheten", "Fråga om företagsstöd",
                                         "Vägunderhåll vid verksamheten",
                                         "Kontakt inför företagarfrukost"};

static const char *const desc_pool[] = {
    "Företaget tog kontakt via företagslotsen och vill ha en samlad bild av vad som krävs.",
    "Företagaren vill ha hjälp att hitta rätt väg in till kommunens olika enheter.",
    "Ärendet kom in via kommunens kontaktcenter och lotsades vidare.",
    "Företaget har planer för de närmaste två åren och vill stämma av förutsättningarna."};

static const char *const close_notes[LB_OUTCOME_COUNT] = {
    NULL, "Företaget har fått det stöd det behövde.", "Hänvisat vidare till berörd enhet.",
    "Företaget har avbrutit sina planer.", "Ingen åtgärd behövdes från kommunen."};
static const char *const decision_notes[LB_DECISION_COUNT] = {
    NULL,
    "Beviljat enligt ansökan.",
    "Avslag; förutsättningarna i gällande plan är inte uppfyllda.",
    "Rådgivning lämnad; ingen ansökan behövs i nuläget.",
    "Ansökan återkallad av företaget.",
    "Ärendet avslutat utan formellt beslut."};

static const char *const comments_good[] = {"Mycket nöjd med snabb återkoppling.",
                                            "Bra att ha en väg in till kommunen.",
                                            "Smidigt, handläggaren var tydlig."};
static const char *const comments_bad[] = {"Tyckte att handläggningen tog för lång tid.",
                                           "Svårt att förstå vilka underlag som behövdes.",
                                           "Fick olika besked från olika personer."};
static const char *const comments_neutral[] = {
    "Inga synpunkter utöver svaren.", "Okej, men informationen på webben kunde vara tydligare."};

struct imp_text {
    int unit; /* -1: the lots function */
    const char *title, *description;
};
static const struct imp_text improvements[] = {
    {U_BYGGLOV, "Checklista för kompletta bygglovsansökningar",
     "Företag har fått komplettera ansökningar flera gånger. En checklista skickas med i första "
     "svaret."},
    {U_BYGGLOV, "Förhandsmöte inom fem dagar för företagsärenden",
     "Företag som lotsas till bygglov erbjuds ett förhandsmöte inom fem arbetsdagar."},
    {U_MILJO, "Tydligare information om anmälningsplikt på webben",
     "Uppföljningssamtalen visar att företag inte vet när en anmälan krävs."},
    {U_MILJO, "Samordnad tillsyn vid ett och samma besök",
     "Miljö- och livsmedelstillsyn samordnas så att företaget får ett besök i stället för två."},
    {U_LIVSMEDEL, "Snabbare registrering av livsmedelsanläggningar",
     "Registreringen bekräftas inom tre arbetsdagar."},
    {U_SERVERING, "Vägledning inför ansökan om serveringstillstånd",
     "En kort vägledning om kunskapsprov och underlag skickas när ärendet lotsas."},
    {U_BRAND, "Gemensamt platsbesök med bygglov vid ombyggnad",
     "Räddningstjänsten och bygglov gör gemensamma platsbesök i företagsärenden."},
    {U_GATA, "E-tjänst för markupplåtelse med kortare svarstid",
     "Ansökan om markupplåtelse görs i en e-tjänst; målet är svar inom tio arbetsdagar."},
    {U_UPPHANDLING, "Leverantörsträffar inför större upphandlingar",
     "Lokala företag bjuds in till dialog innan större upphandlingar annonseras."},
    {-1, "Återkoppling till företaget inom två arbetsdagar",
     "Lotsen återkopplar alltid inom två arbetsdagar, även när enheten inte är klar."},
    {-1, "Samlad företagssida på kommunens webbplats",
     "Information om tillstånd och kontaktvägar samlas på en sida för företagare."},
    {-1, "Direktnummer till företagslotsen i alla utskick",
     "Företagen ska inte behöva gå via växeln för att nå sin lots."},
};

/* --- the simulation's model --------------------------------------------------- */

struct person {
    char *name, *role, *phone, *email;
};

struct dcompany {
    char orgnr[11];
    bool personal;
    char *name;
    const char *locality, *sni, *what;
    struct person contacts[2];
    int ncontacts;
    int units[4], nunits;
    bool trade;
    lb_id id;
    lb_time first_open;
};

struct dcase {
    int company;
    const char *owner;
    enum lb_category category;
    char *subject;
    const char *description;
    lb_id id;
    int handoffs[MAX_HANDOFFS], nhandoffs;
    enum lb_outcome outcome;
};

struct dhandoff {
    int kase, unit;
    const char *note;
    lb_id id;
    lb_time sent, ack, decided, withdrawn; /* planned; LB_TIME_NONE when not planned */
    enum lb_decision decision;
    bool overdue;
};

struct ditem {
    enum lb_followup_kind kind;
    int kase, handoff; /* handoff -1 for a lots item */
};

struct dfollowup {
    int company;
    const char *assignee;
    lb_date due;
    enum lb_followup_status status;
    int attempts;
    lb_date made;
    struct ditem items[MAX_ITEMS];
    int nitems;
    lb_id id;
};

enum step_kind {
    S_USER,
    S_COMPANY,
    S_CASE_OPEN,
    S_CONTACT,
    S_HANDOFF,
    S_ACK,
    S_OVERDUE,
    S_DECIDE,
    S_WITHDRAW,
    S_CLOSE,
    S_FU_CREATE,
    S_FU_MERGE,
    S_FU_RECORD,
    S_IMP_CREATE,
    S_IMP_UPDATE,
};

static const char *const step_names[] = {
    "user.create",      "company.create",     "case.open",         "contact.log",
    "handoff.create",   "handoff.ack",        "handoff.overdue",   "handoff.decide",
    "handoff.withdraw", "case.close",         "followup.create",   "followup.merge",
    "followup.record",  "improvement.create", "improvement.update"};

struct demo;

struct step {
    struct demo *d;
    enum step_kind kind;
    lb_time at;
    const char *actor;
    int ref;        /* index into the model array of the step's record type */
    int e1, e2, e3; /* enum values, minutes */
    const char *text;
    lb_id target; /* the record an operation on an existing record acts on */
    lb_id expect; /* the id a create must get */
    lb_date date;
    uint64_t trigger_seq; /* followup create/merge: the worker's triggering event */
    struct ditem item;    /* followup create/merge */
    size_t ans_off, nans; /* followup record: answers in d->answers */
};

enum action_kind {
    A_USER,
    A_COMPANY,
    A_CASE_OPEN,
    A_CONTACT,
    A_HANDOFF,
    A_ACK,
    A_OVERDUE,
    A_DECIDE,
    A_WITHDRAW,
    A_CLOSE,
    A_CALL,
    A_IMP_CREATE,
    A_IMP_UPDATE,
};

struct action {
    lb_time at;
    uint64_t order;
    enum action_kind kind;
    int ref;
    int e1, e2, e3;
    const char *text;
};

struct duser {
    const char *username;
    const char *display_name; /* what the screens show */
    enum lb_role role;
    const char *units[2];
    int nunits;
    const char *units_label;
    char hash[160];
};

static const struct duser demo_users_init[LB_DEMO_USERS] = {
    {"anna.lots", "Anna Lindqvist", LB_ROLE_LOTS, {0}, 0, "", ""},
    {"erik.lots", "Erik Sjöberg", LB_ROLE_LOTS, {0}, 0, "", ""},
    {"bygglov.handl", "Karin Holm", LB_ROLE_HANDLER, {"bygglov"}, 1, "bygglov", ""},
    {"miljo.handl", "Johan Ek", LB_ROLE_HANDLER, {"miljo", "livsmedel"}, 2, "miljo, livsmedel", ""},
    {"servering.handl",
     "Sara Nyström",
     LB_ROLE_HANDLER,
     {"serveringstillstand"},
     1,
     "serveringstillstand",
     ""},
    {"brand.handl", "Mikael Berg", LB_ROLE_HANDLER, {"raddningstjanst"}, 1, "raddningstjanst", ""},
    {"gata.handl", "Lena Forsberg", LB_ROLE_HANDLER, {"gata_park"}, 1, "gata_park", ""},
    {"upphandling.handl", "Ahmed Karimi", LB_ROLE_HANDLER, {"upphandling"}, 1, "upphandling", ""},
    {"arbetsgrupp", "Arbetsgruppen", LB_ROLE_VIEWER, {0}, 0, "", ""},
};

struct dimp {
    int text;
    lb_id followup_id;
    lb_id id;
};

struct demo {
    struct rng rng;
    struct lb_fr_config fr;
    lb_time until;
    lb_date today, start;
    const char *admin;
    struct duser users[LB_DEMO_USERS];

    struct dcompany *companies;
    size_t ncompanies;
    struct dcase *cases;
    size_t ncases, cap_cases;
    struct dhandoff *handoffs;
    size_t nhandoffs, cap_handoffs;
    struct dfollowup *followups;
    size_t nfollowups, cap_followups;
    struct dimp imps[N(improvements)];
    size_t nimps;
    bool imp_used[N(improvements)];

    struct action *heap;
    size_t nheap, cap_heap;
    uint64_t order;

    struct step *steps;
    size_t nsteps, cap_steps;
    lb_time last_at;
    uint64_t seq0;

    struct lb_answer *answers;
    size_t nanswers, cap_answers;

    char **strings; /* everything the generator allocated for the steps */
    size_t nstrings, cap_strings;

    lb_id next_contact;
    int refno[U_N];
    struct lb_demo_stats *st;
    int err;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* Keeps s (malloc'd) until the demo is freed; NULL when out of memory. */
static char *keep(struct demo *d, char *s)
{
    if (!s || !grow((void **)&d->strings, &d->cap_strings, d->nstrings + 1, sizeof(char *))) {
        free(s);
        d->err = LB_ENOMEM;
        return NULL;
    }
    d->strings[d->nstrings++] = s;
    return s;
}

static char *keepf(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *keepf(struct demo *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return keep(d, n < 0 ? NULL : strdup(buf));
}

/* --- time ---------------------------------------------------------------------- */

/* The instant of a Stockholm wall-clock time on date d. */
static lb_time at_local(lb_date d, int minute_of_day)
{
    lb_time naive = ((lb_time)d * 86400 + (lb_time)minute_of_day * 60) * 1000;
    int off = lb_stockholm_offset(naive - HOUR_MS);
    return naive - (lb_time)off * 1000;
}

/* A moment in working hours (08:00-16:30) on d, with seconds. */
static lb_time work_time(struct demo *d, lb_date day)
{
    return at_local(day, rnd_in(&d->rng, 8 * 60, 16 * 60 + 30)) + rnd(&d->rng, 60) * 1000;
}

static lb_date wd_after(lb_date d, int n)
{
    return lb_add_working_days(d, n);
}

/* --- heap ---------------------------------------------------------------------- */

static bool before(const struct action *a, const struct action *b)
{
    return a->at < b->at || (a->at == b->at && a->order < b->order);
}

/* Schedules an action; actions at or after the demo's end are dropped (they
 * have not happened yet). */
static void push(struct demo *d, lb_time at, enum action_kind kind, int ref, int e1, int e2, int e3,
                 const char *text)
{
    if (d->err || at >= d->until - MIN_MS)
        return;
    if (!grow((void **)&d->heap, &d->cap_heap, d->nheap + 1, sizeof *d->heap)) {
        d->err = LB_ENOMEM;
        return;
    }
    struct action a = {at, d->order++, kind, ref, e1, e2, e3, text};
    size_t i = d->nheap++;
    while (i > 0 && before(&a, &d->heap[(i - 1) / 2])) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = a;
}

static bool pop(struct demo *d, struct action *out)
{
    if (d->nheap == 0)
        return false;
    *out = d->heap[0];
    struct action last = d->heap[--d->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->nheap)
            break;
        if (c + 1 < d->nheap && before(&d->heap[c + 1], &d->heap[c]))
            c++;
        if (!before(&d->heap[c], &last))
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (d->nheap > 0)
        d->heap[i] = last;
    return true;
}

/* --- steps --------------------------------------------------------------------- */

/* Appends a step at `at` (moved forward to keep the log's times in order);
 * NULL when out of memory. Its event will be seq0 + its index + 1. */
static struct step *emit(struct demo *d, enum step_kind kind, lb_time at, const char *actor,
                         int ref)
{
    if (d->err)
        return NULL;
    if (!grow((void **)&d->steps, &d->cap_steps, d->nsteps + 1, sizeof *d->steps)) {
        d->err = LB_ENOMEM;
        return NULL;
    }
    if (at < d->last_at)
        at = d->last_at;
    d->last_at = at;
    struct step *s = &d->steps[d->nsteps++];
    memset(s, 0, sizeof *s);
    s->d = d;
    s->kind = kind;
    s->at = at;
    s->actor = actor;
    s->ref = ref;
    return s;
}

static uint64_t step_seq(const struct demo *d, const struct step *s)
{
    return d->seq0 + (uint64_t)(s - d->steps) + 1;
}

/* --- companies ------------------------------------------------------------------ */

static void luhn_complete(char digits[11])
{
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        int v = (digits[i] - '0') * (i % 2 == 0 ? 2 : 1);
        sum += v / 10 + v % 10;
    }
    digits[9] = (char)('0' + (10 - sum % 10) % 10);
    digits[10] = '\0';
}

static bool orgnr_taken(const struct demo *d, size_t n, const char *nr)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(d->companies[i].orgnr, nr) == 0)
            return true;
    return false;
}

/* form: 'A' aktiebolag (556/559), 'H' handelsbolag (9696), 'E' ekonomisk
 * förening (7696), 'F' enskild firma (the owner's personnummer). */
static void make_orgnr(struct demo *d, size_t n, char form, char out[11])
{
    char buf[48];
    do {
        if (form == 'F') {
            int y = rnd_in(&d->rng, 50, 99), m = rnd_in(&d->rng, 1, 12);
            lb_date last = lb_date_from_ymd(m == 12 ? 1901 + y : 1900 + y, m == 12 ? 1 : m + 1, 1);
            int yy, mm, dd;
            lb_date_to_ymd(last - 1, &yy, &mm, &dd);
            snprintf(buf, sizeof buf, "%02d%02d%02d%03d", y % 100, m % 100,
                     rnd_in(&d->rng, 1, dd) % 100, rnd(&d->rng, 1000));
        } else {
            const char *prefix = form == 'H'           ? "9696"
                                 : form == 'E'         ? "7696"
                                 : chance(&d->rng, 70) ? "5566"
                                                       : "5590";
            snprintf(buf, sizeof buf, "%s%05d", prefix, rnd(&d->rng, 100000));
        }
        memcpy(out, buf, 9);
        luhn_complete(out);
    } while (orgnr_taken(d, n, out));
}

/* Lower-case ASCII of a Swedish name for an e-mail address. */
static void ascii_fold(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    while (*s && o + 1 < len) {
        unsigned char c = (unsigned char)*s;
        if (c == 0xc3 && s[1]) {
            unsigned char c2 = (unsigned char)s[1];
            char r = (c2 == 0xa5 || c2 == 0xa4 || c2 == 0x85 || c2 == 0x84) ? 'a'
                     : (c2 == 0xb6 || c2 == 0x96)                           ? 'o'
                     : (c2 == 0xa9 || c2 == 0x89)                           ? 'e'
                                                                            : 'x';
            buf[o++] = r;
            s += 2;
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || c == '-')
            buf[o++] = (char)c;
        s++;
    }
    buf[o] = '\0';
}

static char *fill_pattern(struct demo *d, const char *pattern, const char *place,
                          const char *surname)
{
    char buf[256];
    size_t o = 0;
    for (const char *p = pattern; *p && o < sizeof buf - 64;) {
        const char *sub = NULL;
        if (strncmp(p, "{P}", 3) == 0)
            sub = place;
        else if (strncmp(p, "{S}", 3) == 0)
            sub = surname;
        else if (strncmp(p, "{W}", 3) == 0)
            sub = PICK(&d->rng, words);
        if (sub) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", sub);
            p += 3;
        } else {
            buf[o++] = *p++;
        }
    }
    buf[o] = '\0';
    return strdup(buf);
}

static bool name_taken(const struct demo *d, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(d->companies[i].name, name) == 0)
            return true;
    return false;
}

static void make_person(struct demo *d, const char *surname, const char *role, struct person *p)
{
    const char *first = PICK(&d->rng, first_names);
    char f[64], s[64];
    ascii_fold(first, f, sizeof f);
    ascii_fold(surname, s, sizeof s);
    p->name = keepf(d, "%s %s", first, surname);
    p->role = keepf(d, "%s", role);
    p->phone = keepf(d, "0176-%02d %02d %02d", rnd_in(&d->rng, 10, 99), rnd(&d->rng, 100),
                     rnd(&d->rng, 100));
    p->email = keepf(d, "%s.%s@example.se", f, s);
}

static int make_companies(struct demo *d, size_t n)
{
    d->companies = calloc(n, sizeof *d->companies);
    if (!d->companies)
        return LB_ENOMEM;
    int sector_w[N(sectors)];
    for (size_t i = 0; i < N(sectors); i++)
        sector_w[i] = sectors[i].weight;
    for (size_t i = 0; i < n && !d->err; i++) {
        struct dcompany *c = &d->companies[i];
        int fw[] = {71, 8, 4, 17}; /* AB, HB, ek. för., enskild firma */
        char form = "AHEF"[pick_w(&d->rng, fw, 4)];
        c->locality = localities[pick_w(&d->rng, locality_w, (int)N(localities))];
        const char *surname = PICK(&d->rng, surnames);
        const char *const *patterns;
        int npatterns;
        if (form == 'E') {
            const struct coop *k = &coops[rnd(&d->rng, (int)N(coops))];
            patterns = &k->pattern;
            npatterns = 1;
            c->sni = k->sni;
            c->what = k->what;
            memcpy(c->units, k->units, sizeof k->units);
            c->nunits = k->nunits;
        } else {
            const struct sector *sc = &sectors[pick_w(&d->rng, sector_w, (int)N(sectors))];
            patterns = sc->patterns;
            npatterns = 3;
            c->sni = sc->sni;
            c->what = sc->what;
            memcpy(c->units, sc->units, sizeof sc->units);
            c->nunits = sc->nunits;
            c->trade = sc->trade;
        }
        const char *suffix = form == 'A' ? " AB" : form == 'H' ? " HB" : "";
        char name[320];
        bool unique = false;
        for (int tries = 0; tries < 12 && !unique; tries++) {
            char *base = fill_pattern(d, patterns[rnd(&d->rng, npatterns)], c->locality, surname);
            if (!base)
                return LB_ENOMEM;
            if (tries < 10)
                snprintf(name, sizeof name, "%s%s", base, suffix);
            else if (tries == 10)
                snprintf(name, sizeof name, "%s i %s%s", base, c->locality, suffix);
            else /* always unique by its number */
                snprintf(name, sizeof name, "%s %zu%s", base, i + 1, suffix);
            free(base);
            unique = tries == 11 || !name_taken(d, i, name);
        }
        if (!(c->name = keepf(d, "%s", name)))
            return LB_ENOMEM;
        make_orgnr(d, i, form, c->orgnr);
        struct lb_orgnr parsed;
        if (lb_orgnr_parse(c->orgnr, &parsed) != LB_ORGNR_OK ||
            parsed.personnummer != (form == 'F'))
            return LB_EINTERNAL; /* the generator's own bug */
        c->personal = parsed.personnummer;
        make_person(d, surname,
                    form == 'F'   ? "Ägare"
                    : form == 'E' ? "Ordförande"
                                  : PICK(&d->rng, roles_ab),
                    &c->contacts[0]);
        c->ncontacts = 1;
        if (form != 'F' && chance(&d->rng, 35)) {
            make_person(d, PICK(&d->rng, surnames),
                        form == 'E' ? "Kassör" : PICK(&d->rng, roles_ab), &c->contacts[1]);
            c->ncontacts = 2;
        }
        c->first_open = LB_TIME_NONE;
    }
    d->ncompanies = n;
    return d->err;
}

/* --- planning a case ---------------------------------------------------------------- */

static char *subject_fill(struct demo *d, const char *tpl, const struct dcompany *c)
{
    char buf[256];
    size_t o = 0;
    for (const char *p = tpl; *p && o < sizeof buf - 64;) {
        if (strncmp(p, "{L}", 3) == 0) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", c->locality);
            p += 3;
        } else if (strncmp(p, "{what}", 6) == 0) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", c->what);
            p += 6;
        } else {
            buf[o++] = *p++;
        }
    }
    buf[o] = '\0';
    return keepf(d, "%s", buf);
}

static int new_handoff(struct demo *d, int k, int unit)
{
    if (!grow((void **)&d->handoffs, &d->cap_handoffs, d->nhandoffs + 1, sizeof *d->handoffs)) {
        d->err = LB_ENOMEM;
        return -1;
    }
    struct dhandoff *h = &d->handoffs[d->nhandoffs];
    memset(h, 0, sizeof *h);
    h->kase = k;
    h->unit = unit;
    h->note = unit_notes[unit][rnd(&d->rng, 2)];
    h->sent = h->ack = h->decided = h->withdrawn = LB_TIME_NONE;
    return (int)d->nhandoffs++;
}

static int pick_unit(struct demo *d, const struct dcompany *c, bool permit_only)
{
    for (int tries = 0; tries < 8; tries++) {
        int u = chance(&d->rng, 20) ? c->units[0] : c->units[rnd(&d->rng, c->nunits)];
        if (!permit_only || u != U_UPPHANDLING)
            return u;
    }
    return U_BYGGLOV;
}

static bool case_has_unit(const struct demo *d, const struct dcase *k, int unit)
{
    for (int i = 0; i < k->nhandoffs; i++)
        if (d->handoffs[k->handoffs[i]].unit == unit)
            return true;
    return false;
}

static void add_unit(struct demo *d, int k, int unit)
{
    struct dcase *kc = &d->cases[k];
    if (unit < 0 || kc->nhandoffs >= MAX_HANDOFFS || case_has_unit(d, kc, unit))
        return;
    int h = new_handoff(d, k, unit);
    if (h >= 0)
        d->cases[k].handoffs[d->cases[k].nhandoffs++] = h;
}

/* Plans one case of company ci opened on `day`, pushing its actions. */
static void plan_case(struct demo *d, int ci, lb_date day)
{
    if (!grow((void **)&d->cases, &d->cap_cases, d->ncases + 1, sizeof *d->cases)) {
        d->err = LB_ENOMEM;
        return;
    }
    struct rng *r = &d->rng;
    int k = (int)d->ncases++;
    struct dcase *kc = &d->cases[k];
    struct dcompany *c = &d->companies[ci];
    memset(kc, 0, sizeof *kc);
    kc->company = ci;
    kc->owner = chance(r, 55) ? "anna.lots" : "erik.lots";
    int cw[LB_CATEGORY_COUNT] = {16, 16, 30, 10, c->trade ? 28 : 6, 6, 10};
    kc->category = (enum lb_category)pick_w(r, cw, LB_CATEGORY_COUNT);
    const char *tpl;
    switch (kc->category) {
    case LB_CATEGORY_ESTABLISHMENT:
        tpl = PICK(r, subj_establishment);
        add_unit(d, k, pick_unit(d, c, false));
        if (chance(r, 50))
            add_unit(d, k, pick_unit(d, c, false));
        if (chance(r, 20))
            add_unit(d, k, pick_unit(d, c, false));
        break;
    case LB_CATEGORY_EXPANSION:
        tpl = PICK(r, subj_expansion);
        add_unit(d, k, chance(r, 60) ? U_BYGGLOV : pick_unit(d, c, true));
        if (chance(r, 40))
            add_unit(d, k, pick_unit(d, c, false));
        break;
    case LB_CATEGORY_PERMIT: {
        int u = pick_unit(d, c, true);
        tpl = subj_permit[u][rnd(r, 2)];
        add_unit(d, k, u);
        if (chance(r, 20))
            add_unit(d, k, pick_unit(d, c, true));
        break;
    }
    case LB_CATEGORY_PREMISES_LAND:
        tpl = PICK(r, subj_premises);
        if (chance(r, 70))
            add_unit(d, k, chance(r, 60) ? U_BYGGLOV : U_GATA);
        break;
    case LB_CATEGORY_PROCUREMENT:
        tpl = PICK(r, subj_procurement);
        if (chance(r, 80))
            add_unit(d, k, U_UPPHANDLING);
        break;
    case LB_CATEGORY_RECRUITMENT:
        tpl = PICK(r, subj_recruitment);
        break;
    default:
        tpl = PICK(r, subj_other);
        if (chance(r, 25))
            add_unit(d, k, U_GATA);
        break;
    }
    kc = &d->cases[k]; /* add_unit may not move cases, but stay safe */
    kc->subject = subject_fill(d, tpl, c);
    kc->description = chance(r, 70) ? PICK(r, desc_pool) : NULL;

    lb_time open = work_time(d, day);
    if (c->first_open == LB_TIME_NONE || open < c->first_open)
        c->first_open = open;
    push(d, open, A_CASE_OPEN, k, 0, 0, 0, NULL);
    /* The contact that opened the case, logged right after. */
    int chw[] = {55, 30, 5, 5, 5};
    int ch = pick_w(r, chw, 5);
    static const char *const first_summary[] = {
        "Företaget ringde och berättade om sina planer. Gick igenom vad som behövs och vilka "
        "enheter som berörs.",
        "E-post från företaget med frågor om vad kommunen kräver och hur lång tid det tar.",
        "Företagaren kom förbi kommunhuset; gick igenom planerna och nästa steg.",
        "Inledande möte med företaget om planerna och vilka tillstånd som kan krävas.",
        "Videomöte med företaget om planerna och kommunens handläggning."};
    lb_time t = open + rnd_in(r, 1, 5) * MIN_MS;
    push(d, t, A_CONTACT, k, ch, LB_DIRECTION_INBOUND,
         ch == LB_CHANNEL_EMAIL ? -1 : rnd_in(r, 10, 60), first_summary[ch]);

    /* Hand-offs. */
    lb_date last_sent_day = day;
    lb_time last_settled = t;
    lb_date last_settled_day = day;
    bool all_withdrawn = kc->nhandoffs > 0;
    for (int i = 0; i < kc->nhandoffs; i++) {
        struct dhandoff *h = &d->handoffs[kc->handoffs[i]];
        int wait = rnd_in(r, 0, 3);
        lb_date sday = wd_after(day, wait);
        if (wait == 0)
            h->sent = t + rnd_in(r, 15, 120) * MIN_MS;
        else
            h->sent = work_time(d, sday);
        sday = lb_stockholm_date(h->sent);
        if (sday > last_sent_day)
            last_sent_day = sday;
        push(d, h->sent, A_HANDOFF, kc->handoffs[i], 0, 0, 0, NULL);
        if (chance(r, 60))
            push(d, work_time(d, wd_after(sday, rnd_in(r, 1, 2))), A_CONTACT, k,
                 chance(r, 60) ? LB_CHANNEL_EMAIL : LB_CHANNEL_PHONE, LB_DIRECTION_OUTBOUND, -2,
                 NULL);
        /* Acknowledgement: most within 1-2 working days, some late, a few never. */
        int ackdays;
        if (chance(r, unit_late_ack[h->unit]))
            ackdays = rnd_in(r, 3, 7);
        else
            ackdays = pick_w(r, (const int[]){30, 50, 20}, 3);
        lb_date aday = wd_after(sday, ackdays);
        if (!chance(r, 4)) {
            h->ack = ackdays == 0 ? h->sent + rnd_in(r, 20, 200) * MIN_MS : work_time(d, aday);
            aday = lb_stockholm_date(h->ack);
        }
        if (chance(r, 4)) { /* the lots takes it back */
            lb_date wday = wd_after(sday, rnd_in(r, ackdays + 1, ackdays + 8));
            h->withdrawn = work_time(d, wday);
            if (h->ack != LB_TIME_NONE && h->ack >= h->withdrawn)
                h->ack = LB_TIME_NONE;
            if (h->ack != LB_TIME_NONE)
                push(d, h->ack, A_ACK, kc->handoffs[i], 0, 0, 0, NULL);
            push(d, h->withdrawn, A_WITHDRAW, kc->handoffs[i], 0, 0, 0, NULL);
            if (h->withdrawn > last_settled) {
                last_settled = h->withdrawn;
                last_settled_day = wday;
            }
            continue;
        }
        all_withdrawn = false;
        if (h->ack != LB_TIME_NONE)
            push(d, h->ack, A_ACK, kc->handoffs[i], 0, 0, 0, NULL);
        int n = rnd_in(r, unit_decide_min[h->unit], unit_decide_max[h->unit]);
        if (n <= ackdays)
            n = ackdays + 1;
        lb_date dday = wd_after(sday, n);
        h->decided = work_time(d, dday);
        int dw_permit[] = {0, 62, 10, 15, 6, 7};
        int dw_advice[] = {0, 20, 5, 50, 10, 15};
        bool advisory = h->unit == U_UPPHANDLING || h->unit == U_GATA ||
                        kc->category == LB_CATEGORY_ESTABLISHMENT;
        h->decision =
            (enum lb_decision)pick_w(r, advisory ? dw_advice : dw_permit, LB_DECISION_COUNT);
        push(d, h->decided, A_DECIDE, kc->handoffs[i], 0, 0, 0, NULL);
        if (chance(r, 40)) /* the lots checks on progress half-way */
            push(d, work_time(d, wd_after(sday, n / 2 + 1)), A_CONTACT, k,
                 chance(r, 50) ? LB_CHANNEL_PHONE : LB_CHANNEL_EMAIL, LB_DIRECTION_OUTBOUND, -3,
                 NULL);
        if (h->decided > last_settled) {
            last_settled = h->decided;
            last_settled_day = dday;
        }
    }

    /* Closing. */
    lb_time close;
    enum lb_outcome outcome;
    if (kc->nhandoffs == 0) {
        int ow[] = {0, 50, kc->category == LB_CATEGORY_RECRUITMENT ? 40 : 15, 10, 25};
        outcome = (enum lb_outcome)pick_w(r, ow, LB_OUTCOME_COUNT);
        if (outcome == LB_OUTCOME_NO_ACTION && chance(r, 40))
            close = t + rnd_in(r, 20, 90) * MIN_MS;
        else
            close = work_time(d, wd_after(day, rnd_in(r, 1, 25)));
    } else if (!all_withdrawn && chance(r, 20)) {
        outcome = LB_OUTCOME_REFERRED; /* handed on; the lots' part is done */
        close = work_time(d, wd_after(last_sent_day, rnd_in(r, 1, 3)));
    } else if (all_withdrawn) {
        outcome = LB_OUTCOME_WITHDRAWN;
        close = work_time(d, wd_after(last_settled_day, rnd_in(r, 0, 3)));
    } else {
        int ow[] = {0, 85, 0, 10, 5};
        outcome = (enum lb_outcome)pick_w(r, ow, LB_OUTCOME_COUNT);
        close = work_time(d, wd_after(last_settled_day, rnd_in(r, 1, 8)));
    }
    if (outcome != LB_OUTCOME_REFERRED && close <= last_settled)
        close = last_settled + rnd_in(r, 30, 240) * MIN_MS;
    kc->outcome = outcome;
    /* A contact or two along the way, before closing. */
    int extra = pick_w(r, (const int[]){45, 35, 20}, 3);
    for (int i = 0; i < extra; i++) {
        lb_time span = close - t;
        if (span < 2 * HOUR_MS)
            break;
        lb_date cday = lb_stockholm_date(t + (lb_time)(unif(r) * (double)span));
        if (!lb_is_working_day(cday))
            cday = wd_after(cday, 1);
        lb_time ct = work_time(d, cday);
        if (ct <= t || ct >= close)
            continue;
        int xw[] = {30, 25, 15, 20, 10};
        int xch = pick_w(r, xw, 5);
        push(d, ct, A_CONTACT, k, xch, chance(r, 60) ? LB_DIRECTION_OUTBOUND : LB_DIRECTION_INBOUND,
             xch == LB_CHANNEL_EMAIL ? -1 : rnd_in(r, 5, 90), NULL);
    }
    push(d, close, A_CLOSE, k, (int)outcome, 0, 0, NULL);
}

/* --- the worker and the lots' calls ------------------------------------------------- */

/* The worker puts a follow-up item where lb_fr_decide says, from the state
 * the real worker has when it applies the trigger (every earlier event). */
static void worker_schedule(struct demo *d, const struct step *trigger, enum lb_followup_kind kind,
                            int k, int h)
{
    int ci = d->cases[k].company;
    struct lb_fr_call calls[256];
    size_t n = 0;
    for (size_t i = 0; i < d->nfollowups && n < N(calls); i++) {
        const struct dfollowup *f = &d->followups[i];
        if (f->company != ci)
            continue;
        if (f->status == LB_FOLLOWUP_SCHEDULED)
            calls[n++] = (struct lb_fr_call){f->id, LB_FR_CALL_SCHEDULED, f->due};
        else if (f->status == LB_FOLLOWUP_DONE || f->status == LB_FOLLOWUP_DECLINED)
            calls[n++] = (struct lb_fr_call){f->id, LB_FR_CALL_MADE, f->made};
    }
    lb_date wanted = lb_fr_due(&d->fr, lb_stockholm_date(trigger->at));
    struct lb_fr_decision dec;
    lb_fr_decide(&d->fr, wanted, calls, n, &dec);
    uint64_t trigger_seq = step_seq(d, trigger);
    lb_time at = trigger->at + rnd_in(&d->rng, 800, 4000);
    struct ditem item = {kind, k, h};
    if (dec.action == LB_FR_MERGE) {
        struct dfollowup *f = &d->followups[dec.merge_into - 1];
        if (f->nitems >= MAX_ITEMS) {
            d->err = LB_EINTERNAL;
            return;
        }
        f->items[f->nitems++] = item;
        struct step *s = emit(d, S_FU_MERGE, at, "worker", (int)(dec.merge_into - 1));
        if (s) {
            s->target = dec.merge_into;
            s->item = item;
            s->trigger_seq = trigger_seq;
        }
        d->st->followup_items++;
        return;
    }
    if (!grow((void **)&d->followups, &d->cap_followups, d->nfollowups + 1, sizeof *d->followups)) {
        d->err = LB_ENOMEM;
        return;
    }
    int fi = (int)d->nfollowups++;
    struct dfollowup *f = &d->followups[fi];
    memset(f, 0, sizeof *f);
    f->company = ci;
    f->assignee = d->cases[k].owner;
    f->due = dec.due;
    f->status = LB_FOLLOWUP_SCHEDULED;
    f->made = LB_DATE_NONE;
    f->items[0] = item;
    f->nitems = 1;
    f->id = (lb_id)fi + 1;
    struct step *s = emit(d, S_FU_CREATE, at, "worker", fi);
    if (s) {
        s->expect = f->id;
        s->item = item;
        s->date = f->due;
        s->trigger_seq = trigger_seq;
    }
    d->st->followups++;
    d->st->followup_items++;
    /* The lots calls on the due day, now and then a few days late; a call due
     * in the last two working days or today still waits (for Min dag, and for
     * the worker's e-mail survey, mailed up to LB_MAILER_GRACE_DAYS past due),
     * whatever day of the week the demo is made. */
    lb_date day = chance(&d->rng, 75) ? f->due : wd_after(f->due, rnd_in(&d->rng, 1, 3));
    lb_time call_at = at_local(day, rnd_in(&d->rng, 9 * 60, 15 * 60 + 30));
    if (wd_after(f->due, 2) < d->today)
        push(d, call_at, A_CALL, fi, 0, 0, 0, NULL);
}

static int clamp_scale(double v)
{
    int x = (int)lround(v);
    return x < 1 ? 1 : x > 6 ? 6 : x;
}

static bool add_answer(struct demo *d, const char *item, const char *question,
                       enum lb_answer_type type, int value)
{
    if (!grow((void **)&d->answers, &d->cap_answers, d->nanswers + 1, sizeof *d->answers)) {
        d->err = LB_ENOMEM;
        return false;
    }
    d->answers[d->nanswers++] = (struct lb_answer){(char *)item, (char *)question, type, value};
    return true;
}

/* Answers for one item; returns the respondent's mean on the 1-6 scale. */
static double answer_item(struct demo *d, const struct ditem *it)
{
    struct rng *r = &d->rng;
    double sum = 0;
    int n = 0;
    if (it->kind == LB_FOLLOWUP_KIND_LOTS) {
        static const char *const q[] = {"reached_right_person", "usefulness", "treatment",
                                        "website_information"};
        static const double mean[] = {4.9, 4.6, 5.3, 3.9};
        double base = gauss(r) * 0.7;
        for (size_t i = 0; i < N(q); i++) {
            if (chance(r, i == 3 ? 20 : 4)) {
                add_answer(d, "lots", q[i], LB_ANSWER_NULL, 0);
                continue;
            }
            int v = clamp_scale(mean[i] + base + gauss(r) * 0.6);
            add_answer(d, "lots", q[i], LB_ANSWER_SCALE, v);
            sum += v;
            n++;
        }
        add_answer(d, "lots", "easy_contact", LB_ANSWER_BOOL, chance(r, base > -0.5 ? 90 : 55));
        return n ? sum / n : 4;
    }
    const struct dhandoff *h = &d->handoffs[it->handoff];
    const char *unit = unit_codes[h->unit];
    static const char *const q[] = {"nki_overall", "nki_expectations", "nki_ideal",
                                    "information", "accessibility",    "treatment",
                                    "competence",  "legal_certainty",  "efficiency"};
    double mean = 1.0 + 5.0 * unit_nki[h->unit] / 100.0;
    if (h->decision == LB_DECISION_REFUSED)
        mean -= 0.9;
    else if (h->decision == LB_DECISION_GRANTED)
        mean += 0.15;
    double base = mean + gauss(r) * 0.7;
    for (size_t i = 0; i < N(q); i++) {
        if (chance(r, i < 3 ? 3 : 7)) {
            add_answer(d, unit, q[i], LB_ANSWER_NULL, 0);
            continue;
        }
        int v = clamp_scale(base + gauss(r) * 0.5);
        add_answer(d, unit, q[i], LB_ANSWER_SCALE, v);
        sum += v;
        n++;
    }
    add_answer(d, unit, "clear_and_lawful", LB_ANSWER_BOOL, chance(r, base > 4 ? 92 : 60));
    return n ? sum / n : 4;
}

static void identify_improvement(struct demo *d, lb_id followup_id, int unit, lb_time at);

static void on_call(struct demo *d, const struct action *a)
{
    struct dfollowup *f = &d->followups[a->ref];
    if (f->status != LB_FOLLOWUP_SCHEDULED)
        return;
    int rw[] = {70, 22, 8}; /* done, no answer, declined */
    int x = pick_w(&d->rng, rw, 3);
    enum lb_followup_status result = x == 0   ? LB_FOLLOWUP_DONE
                                     : x == 1 ? LB_FOLLOWUP_NO_ANSWER
                                              : LB_FOLLOWUP_DECLINED;
    struct step *s = emit(d, S_FU_RECORD, a->at, f->assignee, a->ref);
    if (!s)
        return;
    s->target = f->id;
    s->e1 = (int)result;
    s->date = lb_stockholm_date(s->at);
    f->attempts++;
    if (result == LB_FOLLOWUP_NO_ANSWER) {
        d->st->followup_attempts_no_answer++;
        if (f->attempts >= 3) {
            f->status = LB_FOLLOWUP_UNREACHABLE;
            d->st->followups_unreachable++;
            return;
        }
        f->due = wd_after(s->date, 2);
        push(d, at_local(f->due, rnd_in(&d->rng, 9 * 60, 15 * 60 + 30)), A_CALL, a->ref, 0, 0, 0,
             NULL);
        return;
    }
    f->status = result;
    f->made = s->date;
    if (result == LB_FOLLOWUP_DECLINED) {
        d->st->followups_declined++;
        s->text = chance(&d->rng, 50) ? "Företaget hade inte tid att svara." : NULL;
        return;
    }
    d->st->followups_done++;
    s->ans_off = d->nanswers;
    double worst = 7;
    int worst_unit = -1;
    bool seen_lots = false;
    for (int i = 0; i < f->nitems; i++) {
        const struct ditem *it = &f->items[i];
        bool dup = false; /* one set of answers per lots / unit key */
        for (int j = 0; j < i; j++) {
            const struct ditem *o = &f->items[j];
            dup = dup || (o->kind == it->kind &&
                          (it->kind == LB_FOLLOWUP_KIND_LOTS ||
                           d->handoffs[o->handoff].unit == d->handoffs[it->handoff].unit));
        }
        if (dup || (it->kind == LB_FOLLOWUP_KIND_LOTS && seen_lots))
            continue;
        seen_lots = seen_lots || it->kind == LB_FOLLOWUP_KIND_LOTS;
        double m = answer_item(d, it);
        if (m < worst) {
            worst = m;
            worst_unit = it->kind == LB_FOLLOWUP_KIND_LOTS ? -1 : d->handoffs[it->handoff].unit;
        }
    }
    s = &d->steps[d->nsteps - 1]; /* add_answer does not move steps, but be exact */
    s->nans = d->nanswers - s->ans_off;
    if (chance(&d->rng, 35))
        s->text = worst < 3.5   ? PICK(&d->rng, comments_bad)
                  : worst > 4.8 ? PICK(&d->rng, comments_good)
                                : PICK(&d->rng, comments_neutral);
    if (worst < 3.6 && chance(&d->rng, 45))
        identify_improvement(d, f->id, worst_unit, s->at);
}

static void identify_improvement(struct demo *d, lb_id followup_id, int unit, lb_time at)
{
    int pick = -1;
    for (size_t i = 0; i < N(improvements) && pick < 0; i++)
        if (!d->imp_used[i] && improvements[i].unit == unit)
            pick = (int)i;
    if (pick < 0)
        return;
    d->imp_used[pick] = true;
    int ii = (int)d->nimps++;
    d->imps[ii] = (struct dimp){pick, followup_id, 0};
    lb_time t = work_time(d, wd_after(lb_stockholm_date(at), rnd_in(&d->rng, 1, 6)));
    push(d, t, A_IMP_CREATE, ii, 0, 0, 0, NULL);
    int x = rnd(&d->rng, 100);
    if (x < 60)
        push(d, work_time(d, wd_after(lb_stockholm_date(t), rnd_in(&d->rng, 15, 70))), A_IMP_UPDATE,
             ii, LB_IMPROVEMENT_IMPLEMENTED, 0, 0, NULL);
    else if (x < 70)
        push(d, work_time(d, wd_after(lb_stockholm_date(t), rnd_in(&d->rng, 10, 40))), A_IMP_UPDATE,
             ii, LB_IMPROVEMENT_DROPPED, 0, 0, NULL);
}

/* --- playing the actions ----------------------------------------------------------- */

static const char *contact_summary(struct demo *d, const struct action *a)
{
    if (a->text)
        return a->text;
    static const char *const told[] = {
        "Informerade företaget om att ärendet lämnats till enheten och vad som händer nu.",
        "Skickade kontaktuppgifter till handläggaren och en sammanfattning av ärendet."};
    static const char *const check[] = {
        "Stämde av läget i ärendet med företaget; handläggningen pågår.",
        "Företaget undrade hur långt handläggningen kommit; kontrollerade med enheten."};
    static const char *const along[LB_CHANNEL_COUNT][2] = {
        {"Samtal om tidplan och nästa steg.", "Företaget ringde med kompletterande frågor."},
        {"Skickade länkar till kommunens e-tjänster och blanketter.",
         "E-post med underlag från företaget; vidarebefordrat."},
        {"Besök på plats hos företaget tillsammans med handläggare.",
         "Platsbesök för att se lokalerna och förutsättningarna."},
        {"Avstämningsmöte med företaget och berörda enheter.",
         "Möte om finansiering och kontakter med Almi."},
        {"Videomöte om tidplan och vilka underlag som saknas.",
         "Kort videomöte för att stämma av läget."}};
    if (a->e3 == -2)
        return PICK(&d->rng, told);
    if (a->e3 == -3)
        return PICK(&d->rng, check);
    return along[a->e1][rnd(&d->rng, 2)];
}

static void play(struct demo *d, const struct action *a)
{
    struct lb_demo_stats *st = d->st;
    struct step *s;
    switch (a->kind) {
    case A_USER:
        emit(d, S_USER, a->at, d->admin, a->ref);
        break;
    case A_COMPANY: {
        struct dcompany *c = &d->companies[a->ref];
        c->id = ++st->companies;
        st->companies_personal += c->personal;
        if ((s = emit(d, S_COMPANY, a->at, chance(&d->rng, 55) ? "anna.lots" : "erik.lots",
                      a->ref)))
            s->expect = c->id;
        break;
    }
    case A_CASE_OPEN: {
        struct dcase *k = &d->cases[a->ref];
        k->id = ++st->cases;
        if ((s = emit(d, S_CASE_OPEN, a->at, k->owner, a->ref)))
            s->expect = k->id;
        break;
    }
    case A_CONTACT: {
        const char *summary = contact_summary(d, a);
        struct dcase *k = &d->cases[a->ref];
        if ((s = emit(d, S_CONTACT, a->at, k->owner, a->ref))) {
            s->e1 = a->e1;
            s->e2 = a->e2;
            s->e3 = a->e3 == -1 ? -1 : a->e3 < 0 ? rnd_in(&d->rng, 5, 30) : a->e3;
            if (a->e1 == LB_CHANNEL_EMAIL)
                s->e3 = -1;
            s->text = summary;
            s->expect = ++d->next_contact;
        }
        st->contacts++;
        st->channels[a->e1]++;
        break;
    }
    case A_HANDOFF: {
        struct dhandoff *h = &d->handoffs[a->ref];
        h->id = ++st->handoffs;
        if ((s = emit(d, S_HANDOFF, a->at, d->cases[h->kase].owner, a->ref)))
            s->expect = h->id;
        /* The worker flags it the night it becomes overdue, unless settled. */
        lb_date sday = lb_stockholm_date(a->at);
        lb_time flag =
            at_local(lb_fr_ack_deadline(&d->fr, sday) + 1, 0) + rnd_in(&d->rng, 30, 90) * 1000;
        lb_time settle = LB_TIME_NONE;
        lb_time cand[] = {h->ack, h->decided, h->withdrawn};
        for (size_t i = 0; i < N(cand); i++)
            if (cand[i] != LB_TIME_NONE && (settle == LB_TIME_NONE || cand[i] < settle))
                settle = cand[i];
        if (settle == LB_TIME_NONE || settle > flag)
            push(d, flag, A_OVERDUE, a->ref, 0, 0, 0, NULL);
        break;
    }
    case A_ACK: {
        struct dhandoff *h = &d->handoffs[a->ref];
        int y, m, dd;
        lb_date_to_ymd(lb_stockholm_date(a->at), &y, &m, &dd);
        if ((s = emit(d, S_ACK, a->at, unit_handler[h->unit], a->ref))) {
            s->target = h->id;
            s->text =
                keepf(d, "%s %d-%04d", unit_ref_prefix[h->unit], y, ++d->refno[h->unit] + 100);
        }
        st->handoffs_acknowledged++;
        break;
    }
    case A_OVERDUE: {
        struct dhandoff *h = &d->handoffs[a->ref];
        h->overdue = true;
        if ((s = emit(d, S_OVERDUE, a->at, "worker", a->ref)))
            s->target = h->id;
        st->handoffs_overdue++;
        break;
    }
    case A_DECIDE: {
        struct dhandoff *h = &d->handoffs[a->ref];
        if (!(s = emit(d, S_DECIDE, a->at, unit_handler[h->unit], a->ref)))
            break;
        s->target = h->id;
        s->e1 = (int)h->decision;
        s->text = decision_notes[h->decision];
        st->handoffs_decided++;
        st->decisions[h->decision]++;
        worker_schedule(d, s, LB_FOLLOWUP_KIND_UNIT, h->kase, a->ref);
        break;
    }
    case A_WITHDRAW: {
        struct dhandoff *h = &d->handoffs[a->ref];
        if ((s = emit(d, S_WITHDRAW, a->at, d->cases[h->kase].owner, a->ref))) {
            s->target = h->id;
            s->text = "Företaget har ändrat sina planer; överlämningen återtas.";
        }
        st->handoffs_withdrawn++;
        break;
    }
    case A_CLOSE: {
        struct dcase *k = &d->cases[a->ref];
        if (!(s = emit(d, S_CLOSE, a->at, k->owner, a->ref)))
            break;
        s->target = k->id;
        s->e1 = a->e1;
        s->text = chance(&d->rng, 70) ? close_notes[a->e1] : NULL;
        st->cases_closed++;
        st->outcomes[a->e1]++;
        worker_schedule(d, s, LB_FOLLOWUP_KIND_LOTS, a->ref, -1);
        break;
    }
    case A_CALL:
        on_call(d, a);
        break;
    case A_IMP_CREATE: {
        struct dimp *im = &d->imps[a->ref];
        im->id = ++st->improvements;
        if ((s = emit(d, S_IMP_CREATE, a->at, chance(&d->rng, 50) ? "anna.lots" : "erik.lots",
                      a->ref)))
            s->expect = im->id;
        break;
    }
    case A_IMP_UPDATE: {
        struct dimp *im = &d->imps[a->ref];
        if ((s = emit(d, S_IMP_UPDATE, a->at, chance(&d->rng, 50) ? "anna.lots" : "erik.lots",
                      a->ref))) {
            s->target = im->id;
            s->e1 = a->e1;
        }
        st->improvements_implemented += a->e1 == LB_IMPROVEMENT_IMPLEMENTED;
        break;
    }
    }
}

/* --- writing the steps ------------------------------------------------------------- */

static int put_idempotency(lb_txn *t, const struct step *s, const char *rule, lb_id target,
                           const char *path, json_t *req, const struct lb_followup *f, int status)
{
    char key[128];
    int rc = lb_fr_key(key, sizeof key, s->trigger_seq, rule, target);
    if (rc != 0)
        return rc;
    char *body = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *resp = api_followup_json(f);
    char *resp_text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    json_decref(resp);
    if (!body || !resp_text) {
        free(body);
        free(resp_text);
        return LB_ENOMEM;
    }
    /* The request hash lotsd computes (api.c): method, path, body. */
    /* Stored as of the demo's end, not the step: the service's answers are
     * kept for 90 days from when they were stored (docs/api.md), and the
     * worker replays the whole year when it first starts. */
    struct lb_idempotency rec = {.status = status,
                                 .body = resp_text,
                                 .at = s->d->until,
                                 .cls = LB_IDEM_SERVICE,
                                 .companies = &(struct lb_idem_company){f->company_id},
                                 .ncompanies = 1};
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, 32);
    crypto_generichash_update(&hs, (const unsigned char *)"POST", 5);
    crypto_generichash_update(&hs, (const unsigned char *)path, strlen(path) + 1);
    crypto_generichash_update(&hs, (const unsigned char *)body, strlen(body));
    crypto_generichash_final(&hs, rec.request_hash, 32);
    char loc[64];
    if (status == 201) {
        snprintf(loc, sizeof loc, "/api/v1/followups/%" PRIu64, f->meta.id);
        rec.location = loc;
    }
    rc = lb_idempotency_put(t, "worker", key, &rec);
    free(body);
    free(resp_text);
    return rc;
}

/* The item as the worker's request carries it. */
static json_t *item_request(const struct demo *d, const struct ditem *it)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "kind", json_string(lb_followup_kind_str(it->kind)));
    bad |= json_object_set_new(o, "case_id", json_integer((json_int_t)d->cases[it->kase].id));
    if (it->kind == LB_FOLLOWUP_KIND_UNIT)
        bad |= json_object_set_new(o, "handoff_id",
                                   json_integer((json_int_t)d->handoffs[it->handoff].id));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int run_followup_create(lb_txn *t, const struct step *s, const struct lb_ctx *ctx)
{
    const struct demo *d = s->d;
    struct lb_followup rec = {0};
    int rc = LB_ENOMEM;
    json_t *req = json_object(), *items = json_array(), *item = item_request(d, &s->item);
    rec.items = calloc(1, sizeof *rec.items);
    rec.assignee = strdup(d->followups[s->ref].assignee);
    if (!req || !items || !item || !rec.items || !rec.assignee)
        goto out;
    rec.company_id = d->companies[d->followups[s->ref].company].id;
    rec.due = s->date;
    rec.nitems = 1;
    rec.items[0].kind = s->item.kind;
    rec.items[0].case_id = d->cases[s->item.kase].id;
    rec.items[0].handoff_id = s->item.handoff >= 0 ? d->handoffs[s->item.handoff].id : 0;
    if ((rc = lb_followup_create(t, ctx, &rec)) != 0)
        goto out;
    if (rec.meta.id != s->expect) {
        rc = LB_EINTERNAL;
        goto out;
    }
    char due[11];
    lb_date_format(s->date, due);
    rc = LB_ENOMEM;
    if (json_array_append(items, item) || json_object_set(req, "items", items) ||
        json_object_set_new(req, "company_id", json_integer((json_int_t)rec.company_id)) ||
        json_object_set_new(req, "due", json_string(due)) ||
        json_object_set_new(req, "assignee", json_string(rec.assignee)))
        goto out;
    rc = put_idempotency(t, s, s->item.kind == LB_FOLLOWUP_KIND_LOTS ? "lots" : "unit", 0,
                         "/api/v1/followups", req, &rec, 201);
out:
    json_decref(req);
    json_decref(items);
    json_decref(item);
    lb_followup_clear(&rec);
    return rc;
}

static int run_followup_merge(lb_txn *t, const struct step *s, const struct lb_ctx *ctx)
{
    const struct demo *d = s->d;
    struct lb_followup out = {0};
    struct lb_followup_item it = {.kind = s->item.kind,
                                  .case_id = d->cases[s->item.kase].id,
                                  .handoff_id =
                                      s->item.handoff >= 0 ? d->handoffs[s->item.handoff].id : 0};
    json_t *req = item_request(d, &s->item);
    if (!req)
        return LB_ENOMEM;
    int rc = lb_followup_add_item(t, ctx, s->target, &it, &out);
    if (rc == 0) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/followups/%" PRIu64 "/items", s->target);
        rc = put_idempotency(t, s,
                             s->item.kind == LB_FOLLOWUP_KIND_LOTS ? "lots-merge" : "unit-merge",
                             s->target, path, req, &out, 200);
    }
    json_decref(req);
    lb_followup_clear(&out);
    return rc;
}

static int run_step(lb_txn *t, void *arg)
{
    const struct step *s = arg;
    const struct demo *d = s->d;
    struct lb_ctx ctx = {.actor = s->actor, .now = s->at};
    int rc = 0;
    lb_id got = 0;
    switch (s->kind) {
    case S_USER: {
        const struct duser *u = &d->users[s->ref];
        struct lb_user rec = {.username = (char *)u->username,
                              .display_name = (char *)u->display_name,
                              .password_hash = (char *)u->hash,
                              .role = u->role,
                              .units = (char **)u->units,
                              .nunits = (uint32_t)u->nunits,
                              .password_changed_at = s->at};
        return lb_user_create(t, &ctx, &rec);
    }
    case S_COMPANY: {
        const struct dcompany *c = &d->companies[s->ref];
        struct lb_person persons[2];
        for (int i = 0; i < c->ncontacts; i++)
            persons[i] = (struct lb_person){.name = c->contacts[i].name,
                                            .role = c->contacts[i].role,
                                            .phone = c->contacts[i].phone,
                                            .email = c->contacts[i].email};
        struct lb_company rec = {.personal_orgnr = c->personal,
                                 .name = c->name,
                                 .locality = (char *)c->locality,
                                 .sni = (char *)c->sni,
                                 .contacts = persons,
                                 .ncontacts = (uint32_t)c->ncontacts};
        memcpy(rec.orgnr, c->orgnr, sizeof rec.orgnr);
        lb_id existing = 0;
        rc = lb_company_create(t, &ctx, &rec, &existing);
        got = rec.meta.id;
        break;
    }
    case S_CASE_OPEN: {
        const struct dcase *k = &d->cases[s->ref];
        struct lb_case rec = {.company_id = d->companies[k->company].id,
                              .subject = k->subject,
                              .category = k->category,
                              .description = (char *)k->description,
                              .opened_at = s->at,
                              .owner = (char *)k->owner};
        rc = lb_case_open(t, &ctx, &rec);
        got = rec.meta.id;
        break;
    }
    case S_CONTACT: {
        struct lb_contact rec = {.case_id = d->cases[s->ref].id,
                                 .at = s->at,
                                 .channel = (enum lb_channel)s->e1,
                                 .direction = (enum lb_direction)s->e2,
                                 .summary = (char *)s->text,
                                 .minutes = s->e3,
                                 .logged_by = (char *)s->actor};
        rc = lb_contact_log(t, &ctx, &rec);
        got = rec.meta.id;
        break;
    }
    case S_HANDOFF: {
        const struct dhandoff *h = &d->handoffs[s->ref];
        struct lb_handoff rec = {.case_id = d->cases[h->kase].id,
                                 .unit = (char *)unit_codes[h->unit],
                                 .note = (char *)h->note,
                                 .sent_by = (char *)s->actor};
        rc = lb_handoff_create(t, &ctx, &rec);
        got = rec.meta.id;
        break;
    }
    case S_ACK:
        return lb_handoff_acknowledge(t, &ctx, s->target, s->text, NULL);
    case S_OVERDUE:
        return lb_handoff_flag_overdue(t, &ctx, s->target, NULL);
    case S_DECIDE:
        return lb_handoff_decide(t, &ctx, s->target, (enum lb_decision)s->e1, s->text, s->at, NULL);
    case S_WITHDRAW:
        return lb_handoff_withdraw(t, &ctx, s->target, s->text, NULL);
    case S_CLOSE:
        return lb_case_close(t, &ctx, s->target, (enum lb_outcome)s->e1, s->text, s->at, NULL);
    case S_FU_CREATE:
        return run_followup_create(t, s, &ctx);
    case S_FU_MERGE:
        return run_followup_merge(t, s, &ctx);
    case S_FU_RECORD:
        return lb_followup_record(t, &ctx, s->target, (enum lb_followup_status)s->e1,
                                  d->answers + s->ans_off, (uint32_t)s->nans, s->text, s->date,
                                  NULL);
    case S_IMP_CREATE: {
        const struct dimp *im = &d->imps[s->ref];
        const struct imp_text *x = &improvements[im->text];
        struct lb_improvement rec = {.unit = x->unit >= 0 ? (char *)unit_codes[x->unit] : NULL,
                                     .title = (char *)x->title,
                                     .description = (char *)x->description,
                                     .followup_id = im->followup_id,
                                     .status = LB_IMPROVEMENT_IDENTIFIED,
                                     .identified_at = s->at,
                                     .implemented_at = LB_TIME_NONE};
        rc = lb_improvement_create(t, &ctx, &rec);
        got = rec.meta.id;
        break;
    }
    case S_IMP_UPDATE: {
        struct lb_improvement cur = {0};
        rc = lb_improvement_get(t, s->target, &cur);
        if (rc == 0) {
            cur.status = (enum lb_improvement_status)s->e1;
            rc = lb_improvement_update(t, &ctx, &cur, 0);
        }
        lb_improvement_clear(&cur);
        return rc;
    }
    }
    if (rc == 0 && got != s->expect)
        rc = LB_EINTERNAL;
    return rc;
}

/* --- the environment ---------------------------------------------------------------- */

struct fresh_arg {
    int companies, cases, demo_users;
    char admin[65];
};

static int op_check_fresh(lb_txn *t, void *p)
{
    struct fresh_arg *a = p;
    lb_id ids[64];
    struct lb_page pg = {.limit = 1, .ids = ids};
    int rc = lb_company_list(t, &pg);
    a->companies = (int)pg.count;
    struct lb_case_filter cf = {
        .status = -1, .opened_from = LB_DATE_NONE, .opened_to = LB_DATE_NONE};
    struct lb_page pc = {.limit = 1, .ids = ids};
    if (rc == 0)
        rc = lb_case_list(t, &cf, &pc);
    a->cases = (int)pc.count;
    struct lb_page pu = {.limit = 64, .ids = ids};
    if (rc == 0)
        rc = lb_user_list(t, &pu);
    for (size_t i = 0; rc == 0 && i < pu.count; i++) {
        struct lb_user u = {0};
        if ((rc = lb_user_get_id(t, ids[i], &u)) != 0)
            break;
        if (u.role == LB_ROLE_ADMIN && !a->admin[0])
            snprintf(a->admin, sizeof a->admin, "%s", u.username);
        for (size_t j = 0; j < LB_DEMO_USERS; j++)
            a->demo_users += strcmp(u.username, demo_users_init[j].username) == 0;
        lb_user_clear(&u);
    }
    return rc;
}

static void demo_free(struct demo *d)
{
    for (size_t i = 0; i < d->nstrings; i++)
        free(d->strings[i]);
    free(d->strings);
    free(d->companies);
    free(d->cases);
    free(d->handoffs);
    free(d->followups);
    free(d->heap);
    free(d->steps);
    free(d->answers);
}

static void make_password(char *buf, size_t len)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    size_t n = len - 1 < 14 ? len - 1 : 14;
    for (size_t i = 0; i < n; i++)
        buf[i] = (i == 4 || i == 9) ? '-' : alphabet[randombytes_uniform(sizeof alphabet - 1)];
    buf[n] = '\0';
}

int lb_demo_generate(lb_store *s, const struct lb_demo_config *cfg, struct lb_demo_stats *out,
                     FILE *report)
{
    memset(out, 0, sizeof *out);
    if (lb_auth_init() != 0)
        return LB_EINTERNAL;
    struct fresh_arg fa = {0};
    lb_txn *rt;
    int rc = lb_txn_read(s, &rt);
    if (rc != 0)
        return rc;
    rc = op_check_fresh(rt, &fa);
    lb_txn_end(rt);
    if (rc != 0)
        return rc;
    if (fa.companies || fa.cases || fa.demo_users) {
        if (report)
            fprintf(report, "the environment already holds companies, cases or demo users\n");
        return LB_EEXIST;
    }

    struct demo *d = calloc(1, sizeof *d);
    if (!d)
        return LB_ENOMEM;
    d->st = out;
    lb_fr_config_default(&d->fr);
    d->until = cfg->until == LB_TIME_NONE ? lb_time_now() : cfg->until;
    d->today = lb_stockholm_date(d->until);
    d->start = d->today - 364;
    d->admin = fa.admin[0] ? fa.admin : "admin";
    d->seq0 = lb_store_last_seq(s);
    d->last_at = LB_TIME_NONE;
    uint64_t x = cfg->seed;
    for (int i = 0; i < 4; i++)
        d->rng.s[i] = splitmix64(&x);
    memcpy(d->users, demo_users_init, sizeof d->users);

    /* The users, their passwords and hashes (random: in no event). */
    for (size_t i = 0; i < LB_DEMO_USERS; i++) {
        struct lb_demo_login *l = &out->logins[i];
        snprintf(l->username, sizeof l->username, "%s", d->users[i].username);
        make_password(l->password, sizeof l->password);
        l->role = lb_role_str(d->users[i].role);
        l->units = d->users[i].units_label;
        if ((rc = lb_password_hash(l->password, d->users[i].hash, sizeof d->users[i].hash)) != 0)
            goto done;
        push(d, at_local(wd_after(d->start - 1, 0), 7 * 60) + (lb_time)i * 20000, A_USER, (int)i, 0,
             0, 0, NULL);
    }
    out->nlogins = LB_DEMO_USERS;

    size_t ncompanies = cfg->companies ? cfg->companies : 300;
    if ((rc = make_companies(d, ncompanies)) != 0)
        goto done;
    /* Cases: one for most companies, two or three for some; fewer in July. */
    lb_date first_day = wd_after(d->start, 1);
    for (size_t ci = 0; ci < ncompanies && !d->err; ci++) {
        int ncases = pick_w(&d->rng, (const int[]){0, 64, 26, 10}, 4);
        for (int j = 0; j < ncases; j++) {
            lb_date day;
            int y, m, dd;
            do {
                day = first_day + rnd(&d->rng, d->today - first_day + 1);
                lb_date_to_ymd(day, &y, &m, &dd);
            } while (!lb_is_working_day(day) || (m == 7 && chance(&d->rng, 60)));
            plan_case(d, (int)ci, day);
        }
        struct dcompany *c = &d->companies[ci];
        if (c->first_open != LB_TIME_NONE)
            push(d, c->first_open - rnd_in(&d->rng, 2, 9) * MIN_MS, A_COMPANY, (int)ci, 0, 0, 0,
                 NULL);
    }
    /* Two improvement actions from the arbetsgrupp's own review. */
    identify_improvement(d, 0, -1, at_local(d->start + 100, 10 * 60));
    identify_improvement(d, 0, U_BYGGLOV, at_local(d->start + 200, 10 * 60));

    struct action a;
    while (!d->err && pop(d, &a)) {
        /* A case whose opening falls after the end (a company created for it
         * was dropped the same way) simply never happened. */
        if (a.kind == A_CASE_OPEN && d->companies[d->cases[a.ref].company].id == 0)
            continue;
        if (a.kind != A_USER && a.kind != A_COMPANY && a.kind != A_CASE_OPEN && a.kind != A_CALL &&
            a.kind != A_IMP_CREATE && a.kind != A_IMP_UPDATE) {
            int k = a.kind == A_CONTACT || a.kind == A_CLOSE ? a.ref : d->handoffs[a.ref].kase;
            if (d->cases[k].id == 0)
                continue;
        }
        if ((a.kind == A_ACK || a.kind == A_DECIDE || a.kind == A_WITHDRAW ||
             a.kind == A_OVERDUE) &&
            d->handoffs[a.ref].id == 0)
            continue;
        play(d, &a);
    }
    if ((rc = d->err) != 0)
        goto done;

    /* Write, BATCH operations per transaction. */
    struct lb_op *ops = calloc(BATCH, sizeof *ops);
    if (!ops) {
        rc = LB_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < d->nsteps && rc == 0; i += BATCH) {
        size_t n = d->nsteps - i < BATCH ? d->nsteps - i : BATCH;
        for (size_t j = 0; j < n; j++)
            ops[j] = (struct lb_op){run_step, &d->steps[i + j], 0};
        uint64_t first, last;
        rc = lb_store_batch(s, ops, n, &first, &last);
        for (size_t j = 0; j < n && rc == 0; j++) {
            if (ops[j].result != 0) {
                rc = ops[j].result;
                if (report) {
                    char ts[32];
                    lb_time_format_rfc3339(d->steps[i + j].at, ts);
                    fprintf(report, "demo step %zu (%s at %s by %s) failed: %s\n", i + j,
                            step_names[d->steps[i + j].kind], ts, d->steps[i + j].actor,
                            lb_strerror(rc));
                }
            }
        }
        if (rc == 0 && (first != d->seq0 + i + 1 || last != d->seq0 + i + n)) {
            if (report)
                fprintf(report,
                        "demo: events %" PRIu64 "..%" PRIu64 " where %" PRIu64 "..%" PRIu64
                        " were expected\n",
                        first, last, d->seq0 + i + 1, d->seq0 + i + n);
            rc = LB_EINTERNAL;
        }
    }
    free(ops);
    if (rc == 0)
        rc = lb_demo_meetings(s, cfg->seed, d->until, "anna.lots", &out->meetings,
                              &out->meeting_evaluations);
    out->first_seq = d->seq0 + 1;
    out->last_seq = lb_store_last_seq(s);
done:
    demo_free(d);
    free(d);
    return rc;
}

int lb_demo_write_logins(const char *path, const struct lb_demo_stats *st)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return LB_EIO;
    FILE *f = fdopen(fd, "w");
    if (!f || fchmod(fd, 0600) != 0) {
        if (f)
            fclose(f);
        else
            close(fd);
        return LB_EIO;
    }
    fprintf(f, "# Lotsbok demo logins: DEMO ONLY. These accounts hold made-up data;\n"
               "# never use them, or this environment, for real cases.\n"
               "# username           password         role      units\n");
    for (size_t i = 0; i < st->nlogins; i++)
        fprintf(f, "%-20s %-16s %-9s %s\n", st->logins[i].username, st->logins[i].password,
                st->logins[i].role, st->logins[i].units);
    return fclose(f) == 0 ? 0 : LB_EIO;
}
