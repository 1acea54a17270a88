/* lots_main.c: the `lots` command line: the command table, help and dispatch.
 *
 * `lots [--server URL] [--json] COMMAND [SUBCOMMAND] [ARGS] [OPTIONS]`. The
 * command table below is the single list of commands: `lots --help` and
 * `lots help COMMAND` are generated from it, and dispatch matches the first one
 * or two words against it. Options every command takes (--json, --server,
 * --help) may stand before the command or anywhere after it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"

static const struct lots_cmd commands[] = {
    {"login", NULL, lots_cmd_login, "lots login [ANVÄNDARE] [--password-file FIL]",
     "Loggar in. Token och serveradress sparas i $XDG_CONFIG_HOME/lotsbok/token\n"
     "(normalt ~/.config/lotsbok/token, läsbar bara för dig). Lösenordet läses utan\n"
     "eko från terminalen, från första raden på standard in när den inte är en\n"
     "terminal, eller från --password-file.",
     NULL},
    {"logout", NULL, lots_cmd_logout, "lots logout [--server URL]",
     "Loggar ut. Avslutar sessionen på servern (den sparade, eller --server) och tar\n"
     "bort den sparade token om den hör till just den servern.",
     NULL},
    {"auth", "status", lots_cmd_auth_status, "lots auth status",
     "Visar inloggningen. Server, användare, roll, enheter och när sessionen går ut.\n"
     "Slutstatus 3 när du inte är inloggad på servern.",
     NULL},
    {"whoami", NULL, lots_cmd_whoami, "lots whoami", "Visar användarnamn, roll och enheter.", NULL},
    {"company", "add", lots_cmd_company_add,
     "lots company add --orgnr NR --name NAMN [--locality ORT] [--sni KOD]\n"
     "                 [--contact \"Namn;roll;telefon;e-post\"]...",
     "Registrerar ett företag. Organisationsnumret får skrivas 5560360793, 556036-0793\n"
     "eller 16556036-0793; för enskild firma personnumret.",
     NULL},
    {"company", "show", lots_cmd_company_show, "lots company show ID|ORGNR",
     "Visar ett företag, dess kontaktpersoner och ärenden.", NULL},
    {"company", "find", lots_cmd_company_find, "lots company find TEXT|ORGNR",
     "Söker företag. Ett organisationsnummer söks exakt, annan text som början av\n"
     "namnet (\"malar\" hittar \"Mälar…\").",
     NULL},
    {"search", NULL, lots_cmd_search,
     "lots search ORD… [--type foretag|arende|kontakt|overlamning]\n"
     "    [--limit N] [--after MARKÖR]",
     "Söker i företag, ärenden, kontakter och överlämningar. Varje ord måste finnas;\n"
     "det sista får vara början av ett ord. Organisationsnummer i valfri form.",
     NULL},
    {"import", "companies", lots_cmd_import, "lots import companies FIL [--dry-run]",
     "Läser in företag och kontaktpersoner från en CSV-fil (Excel, semikolonavgränsad,\n"
     "UTF-8 eller Windows-1252) eller en XLSX-fil. Kolumnerna känns igen på rubriken:\n"
     "Organisationsnummer, Företagsnamn, Ort, SNI, Kontaktperson, Roll, Telefon,\n"
     "E-post.\n"
     "Ett företag som redan finns får bara tomma fält ifyllda. --dry-run visar vad som\n"
     "skulle hända utan att spara något.",
     "Läser in företag från en CSV- eller XLSX-fil."},
    {"case", "open", lots_cmd_case_open,
     "lots case open --company ID|ORGNR --subject TEXT --category KATEGORI\n"
     "               [--description TEXT] [--at TID]",
     "Öppnar ett lotsärende. KATEGORI: establishment (etablering), expansion,\n"
     "permit (tillstånd), premises_land (lokaler och mark), procurement (upphandling),\n"
     "recruitment (rekrytering), other (övrigt).",
     NULL},
    {"case", "show", lots_cmd_case_show, "lots case show ÄRENDE",
     "Visar ett ärende. Med kontakter, överlämningar och uppföljningar. ÄRENDE är ett\n"
     "ärendenummer (L2026-0042) eller ett id.",
     NULL},
    {"case", "list", lots_cmd_case_list,
     "lots case list [--status open|closed] [--mine] [--owner NAMN]\n"
     "    [--company ID|ORGNR] [--limit N] [--after MARKÖR] [--xlsx FIL]",
     "Listar ärenden. Med --xlsx sparas hela listan som Excel-fil (högst\n"
     "100 000 ärenden).",
     NULL},
    {"case", "close", lots_cmd_case_close,
     "lots case close ÄRENDE --outcome UTFALL [--note TEXT] [--at TID]",
     "Avslutar ett ärende. UTFALL: resolved (löst), referred (hänvisat),\n"
     "withdrawn (återtaget), no_action (ingen åtgärd).",
     NULL},
    {"case", "reopen", lots_cmd_case_reopen, "lots case reopen ÄRENDE",
     "Öppnar ett avslutat ärende igen.", NULL},
    {"contact", "log", lots_cmd_contact_log,
     "lots contact log ÄRENDE --channel KANAL --direction inbound|outbound\n"
     "    --summary TEXT [--minutes N] [--at TID]",
     "Loggar en kontakt. KANAL: phone (telefon), email (e-post), visit (besök),\n"
     "meeting (möte), video (videomöte). TID i svensk tid: \"2026-03-14 09:30\", \"09:30\"\n"
     "(i dag) eller RFC 3339 (2026-03-14T09:30:00+01:00).",
     NULL},
    {"handoff", "withdraw", lots_cmd_handoff_withdraw,
     "lots handoff withdraw ÖVERLÄMNING [--note TEXT]",
     "Tar tillbaka en överlämning. En som inte är beslutad.", NULL},
    {"handoff", NULL, lots_cmd_handoff, "lots handoff ÄRENDE --unit ENHET --note TEXT",
     "Lämnar över ett ärende till en enhet. ENHET: bygglov, miljo, livsmedel,\n"
     "serveringstillstand, raddningstjanst, gata_park, upphandling (eller kommunens\n"
     "egna). Anteckningen visas i enhetens inkorg.",
     NULL},
    {"followups", NULL, lots_cmd_followups, "lots followups [--all]",
     "Dina uppföljningssamtal. Dagens och försenade (--all: alla planerade), det som\n"
     "förfaller först överst.",
     NULL},
    {"followup", "show", lots_cmd_followup_show, "lots followup show ID",
     "Visar ett uppföljningssamtal. Vem som ska ringas (företag, kontaktperson,\n"
     "telefon), vad samtalet gäller och, när det är registrerat, svaren.",
     NULL},
    {"followup", "record", lots_cmd_followup_record,
     "lots followup record ID --status done|no_answer|declined\n"
     "                     [--answer DEL.FRÅGA=SVAR]... [--comment TEXT]\n"
     "                     [--channel telefon|papper|e-post]",
     "Registrerar ett uppföljningssamtal. Vid en terminal visas vem som ska ringas och\n"
     "frågorna ställs en i taget (1–6 där 1 = mycket missnöjd och 6 = mycket nöjd,\n"
     "ja/nej, eller \"vet ej\"); sedan visas svaren och lots frågar \"Spara? [j/N]\".\n"
     "Annars krävs svaren som flaggor med --status done: --answer lots.usefulness=5\n"
     "--answer bygglov.nki_overall=vet_ej --answer lots.easy_contact=ja.\n"
     "Frågor för lots: reached_right_person, usefulness, easy_contact (ja/nej),\n"
     "treatment, website_information. För en enhet: nki_overall, nki_expectations,\n"
     "nki_ideal, information, accessibility, treatment, competence, legal_certainty,\n"
     "efficiency, clear_and_lawful (ja/nej).\n"
     "--channel: hur svaren kom, telefon (standard), papper (en pappersenkät) eller\n"
     "e-post.",
     NULL},
    {"followup", "correct", lots_cmd_followup_correct,
     "lots followup correct ID [--answer DEL.FRÅGA=SVAR]...",
     "Rättar svaren i ett samtal som registrerats som genomfört, samma dag (svensk\n"
     "tid). Bara de svar som anges ändras; --answer som för followup record. Vid en\n"
     "terminal utan --answer ställs frågorna igen med det registrerade svaret inom\n"
     "hakparentes (tom rad behåller det). Vid en terminal visas ändringarna (före →\n"
     "efter) och lots frågar \"Spara? [j/N]\". Dagen efter kan svaren inte rättas.",
     "Rättar ett registrerat samtals svar samma dag."},
    {"inbox", NULL, lots_cmd_inbox,
     "lots inbox [--unit ENHET] [--overdue] [--status STATUS[,STATUS]…]\n"
     "    [--all] [--limit N] [--after ID]",
     "Enhetens inkorg. Överlämningar som väntar på mottagande eller beslut, nyaste\n"
     "först (--all: alla, --status en eller flera av sent, acknowledged, decided,\n"
     "withdrawn, t.ex. --status decided,withdrawn). Finns fler än en sida (50, eller\n"
     "--limit upp till 500) säger lots det på standard fel.",
     NULL},
    {"ack", NULL, lots_cmd_ack, "lots ack ÖVERLÄMNING [--reference DIARIENUMMER]",
     "Kvitterar en överlämning. Ange gärna enhetens diarienummer.", NULL},
    {"decide", NULL, lots_cmd_decide,
     "lots decide ÖVERLÄMNING --decision BESLUT [--note TEXT] [--at TID]",
     "Registrerar enhetens beslut. BESLUT: granted (beviljat), refused (avslag),\n"
     "advice_given (råd lämnat), withdrawn (återkallat), other (annat).",
     NULL},
    {"indicators", NULL, lots_cmd_indicators, "lots indicators [--quarter ÅÅÅÅ-QN]",
     "Visar kvartalets indikatorer. Aktivitet, handläggning, uppföljning, NKI. Utan\n"
     "--quarter innevarande kvartal.",
     NULL},
    {"report", "annual", lots_cmd_report_annual,
     "lots report annual [--year ÅÅÅÅ] [--format html|xlsx|csv|json]\n"
     "    [-o FIL]",
     "Hämtar handlingsplanens årsrapport till kommunstyrelsen: ett kapitel per åtgärd\n"
     "och den samlade analysen. Utan --year: innevarande år inom planens period.\n"
     "Excel (xlsx) kräver -o FIL.",
     "Hämtar handlingsplanens årsrapport."},
    {"plan", "show", lots_cmd_plan_show, "lots plan show KOD [--year ÅÅÅÅ]",
     "Visar en åtgärd: syfte, aktiviteter, indikatorernas värden per år och\n"
     "uppföljningen (årets i sin helhet med --year).",
     "Visar en åtgärd i handlingsplanen."},
    {"plan", "followup", lots_cmd_plan_followup,
     "lots plan followup KOD --year ÅÅÅÅ [--status STATUS]\n"
     "    [--results TEXT] [--collaboration KOD,KOD] [--adjustment TEXT]\n"
     "    [--comment TEXT]",
     "Skriver årets uppföljning av en åtgärd enligt standardmallen. Det som inte anges\n"
     "behålls. STATUS: not_started (ej påbörjad), ongoing (pågående), completed\n"
     "(genomförd), closed (avslutad); de svenska orden går också. En tom text tar\n"
     "bort.",
     "Skriver årets uppföljning av en åtgärd."},
    {"plan", "value", lots_cmd_plan_value,
     "lots plan value ID --year ÅÅÅÅ [--quarter ÅÅÅÅ-QN]\n"
     "                (--value TAL | --text TEXT | --done DATUM | --clear)",
     "För in ett värde för en indikator som rapporteras (t.ex. 4.1-1), en milstolpes\n"
     "datum (--done) eller tar bort värdet. En andel skrivs 0,72 eller 72 %.",
     "För in ett värde för en indikator."},
    {"plan", NULL, lots_cmd_plan, "lots plan [--year ÅÅÅÅ]",
     "Visar handlingsplanens målområden och åtgärder med årets status.",
     "Visar handlingsplanens målområden och åtgärder."},
    {"report", NULL, lots_cmd_report,
     "lots report --quarter ÅÅÅÅ-QN [--format html|xlsx|csv|json] [-o FIL]",
     "Hämtar kvartalsrapporten. Utan -o skrivs den på standard ut; Excel (xlsx)\n"
     "kräver -o FIL.",
     NULL},
    {"improvement", "add", lots_cmd_improvement_add,
     "lots improvement add --title TEXT [--unit ENHET]\n"
     "    [--description TEXT] [--followup ID]",
     "Registrerar en förbättringsåtgärd.", NULL},
    {"improvement", "list", lots_cmd_improvement_list,
     "lots improvement list [--status identified|implemented|dropped]\n"
     "    [--limit N] [--after ID]",
     "Listar förbättringsåtgärder. Äldsta först.", NULL},
    {"improvement", "done", lots_cmd_improvement_done, "lots improvement done ID",
     "Markerar en förbättringsåtgärd som genomförd.", NULL},
    {"meeting", "add", lots_cmd_meeting_add,
     "lots meeting add --kind TYP --title TEXT --at TID [--place PLATS]\n"
     "    [--unit ENHET] [--action KOD]... [--need TEXT]...\n"
     "    [--proposal TEXT]... [--input TEXT]... [--notes TEXT]",
     "Registrerar en träff, utbildning eller ett evenemang. TYP: business_meeting\n"
     "(företagarträff, frukost), cluster_meeting, infrastructure_meeting,\n"
     "company_training, staff_training, theme_day, recruitment_fair, dialogue, other.\n"
     "TID i RFC 3339. --action: planens åtgärd (t.ex. 6.2); --need, --proposal,\n"
     "--input: uttryckta behov, förslag och synpunkter.",
     NULL},
    {"meeting", "list", lots_cmd_meeting_list,
     "lots meeting list [--kind TYP] [--year ÅÅÅÅ] [--company ID|ORGNR]",
     "Listar träffar med antal företag, deltagare och utvärderingar.", "Listar träffar."},
    {"meeting", "show", lots_cmd_meeting_show, "lots meeting show ID [--sheet FIL]",
     "Visar en träff: närvaro, dokumenterade behov och förslag, utvärderingens\n"
     "sammanfattning (andelar visas från 7 svar) och länken. --sheet FIL sparar\n"
     "QR-bladet (A4, HTML).",
     "Visar en träff."},
    {"meeting", "attend", lots_cmd_meeting_attend,
     "lots meeting attend ID [--company ID|ORGNR[:PERSONER]]...\n"
     "    [--new ORGNR:NAMN[:PERSONER]]... [--staff ENHET:ANTAL]...\n"
     "    [--remove ID|ORGNR]...",
     "Lägger till närvaro: företag ur registret (antal personer efter kolon), --new\n"
     "registrerar ett nytt företag (organisationsnumret kontrolleras), --staff antal\n"
     "medarbetare per enhet (utbildningar för medarbetare), --remove tar bort ett\n"
     "företag.",
     "Lägger till närvaro på en träff."},
    {"meeting", "evaluate", lots_cmd_meeting_evaluate,
     "lots meeting evaluate ID [--relevant 1-6] [--knowledge ja|nej]\n"
     "    [--comment TEXT] [--company ID|ORGNR]",
     "Skriver in en utvärdering från en pappersblankett.", NULL},
    {"user", "add", lots_cmd_user_add,
     "lots user add NAMN --role admin|lots|handler|viewer\n"
     "    [--unit ENHET]... [--password-file FIL]",
     "Skapar en användare. Lösenordet frågas två gånger vid en terminal.", NULL},
    {"user", "list", lots_cmd_user_list, "lots user list", "Listar användare.", NULL},
    {"user", "disable", lots_cmd_user_disable, "lots user disable NAMN", "Stänger av en användare.",
     NULL},
    {"backup", NULL, lots_cmd_backup, "lots backup --to SÖKVÄG [--data KATALOG]",
     "Tar en säkerhetskopia. Den tas på serverns dator med lotsd backup (det finns\n"
     "inget API-anrop för det). Med --data (eller LOTSD_DATA) kör lots det lokalt:\n"
     "lotsd backup --data KATALOG --to SÖKVÄG. Utan visas kommandot att köra på\n"
     "servern.",
     NULL},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char exit_codes_help[] =
    "Gemensamma flaggor:\n"
    "  --server URL   lotsd-serverns adress (annars LOTS_SERVER, den sparade, eller\n"
    "                 " LOTS_DEFAULT_SERVER ")\n"
    "  --json         skriv API:ets JSON oförändrad\n"
    "  -h, --help     hjälp för kommandot\n"
    "  --version      visar versionen (lots --version)\n"
    "Miljövariabler: LOTS_SERVER, LOTS_TOKEN (går före den sparade token).\n"
    "\n"
    "Slutstatus:\n"
    "  0  klart\n"
    "  1  felaktig kommandorad\n"
    "  2  hittades inte eller avvisades (400, 404, 409, 412, 422)\n"
    "  3  inte inloggad eller inte tillåtet (401, 403)\n"
    "  4  servern kan inte nås\n"
    "  5  fel på servern (5xx) eller oläsligt svar\n";

/* Prints text and a newline, every line whole and within LOTS_HELP_WIDTH
 * columns (lb_cli_wrap; continuation lines indented by hang more). */
#define LOTS_HELP_WIDTH 80
static void print_wrapped(FILE *f, const char *text, size_t hang)
{
    char *w = lb_cli_wrap(text, LOTS_HELP_WIDTH, hang);
    fputs(w ? w : text, f);
    fputs("\n", f);
    free(w);
}

static void print_overview(FILE *f)
{
    fputs("Användning: lots [--server URL] [--json] KOMMANDO [ARGUMENT] [FLAGGOR]\n"
          "\n"
          "Lotsbok: ärenden, överlämningar och uppföljningar för företagslotsen.\n"
          "\nKommandon:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", commands[i].name, commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        /* The brief, or the help's first sentence, whole: wrapped under itself
         * when longer than the line (never cut). */
        char first[512], line[600];
        const char *help = commands[i].help, *dot = strstr(help, ". ");
        size_t n = dot ? (size_t)(dot - help) + 1 : strlen(help);
        if (commands[i].brief)
            snprintf(first, sizeof first, "%s", commands[i].brief);
        else
            snprintf(first, sizeof first, "%.*s", (int)n, help);
        for (char *c = first; *c; c++)
            if (*c == '\n')
                *c = ' ';
        snprintf(line, sizeof line, "  %-20s %s", head, first);
        print_wrapped(f, line, 21);
    }
    fputs("\n`lots help KOMMANDO` visar mer om ett kommando.\n\n", f);
    fputs(exit_codes_help, f);
}

static void print_cmd_help(FILE *f, const struct lots_cmd *c)
{
    size_t n = strlen(c->usage) + 16;
    char *usage = malloc(n);
    if (usage)
        snprintf(usage, n, "Användning: %s", c->usage);
    print_wrapped(f, usage ? usage : c->usage, 8);
    fputs("\n", f);
    print_wrapped(f, c->help, 0);
    fputs("\n", f);
    free(usage);
    fputs(exit_codes_help, f);
}

int lots_usage_error(const struct lots_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("Fel: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nAnvändning: %s\n", cmd->usage);
    return LB_CLI_EXIT_USAGE;
}

int lots_args(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv,
              const struct lb_cli_optspec *spec, size_t nspec, struct lb_cli_args *a, bool *done)
{
    *done = true;
    if (lb_cli_parse(argc, argv, spec, nspec, a) != 0)
        return lots_usage_error(cmd, "%s", a->error);
    if (lb_cli_has(a, "help")) {
        print_cmd_help(stdout, cmd);
        return LB_CLI_EXIT_OK;
    }
    if (lb_cli_has(a, "json"))
        l->json = true;
    if (lb_cli_get(a, "server"))
        l->server_opt = lb_cli_get(a, "server");
    if (lots_config_resolve(l) != 0) {
        lots_error("slut på minne");
        return LB_CLI_EXIT_SERVER;
    }
    *done = false;
    return LB_CLI_EXIT_OK;
}

static const struct lots_cmd *find_cmd(const char *name, const char *sub, bool *name_known)
{
    *name_known = false;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        *name_known = true;
        if (!commands[i].sub || (sub && strcmp(commands[i].sub, sub) == 0))
            return &commands[i];
    }
    return NULL;
}

static void print_group(FILE *f, const char *name)
{
    fprintf(f, "Användning:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) {
            char line[1024];
            snprintf(line, sizeof line, "  %s", commands[i].usage);
            print_wrapped(f, line, 6);
        }
}

static int help_command(int argc, char **argv)
{
    if (argc == 0) {
        print_overview(stdout);
        return 0;
    }
    bool known;
    const struct lots_cmd *c = find_cmd(argv[0], argc > 1 ? argv[1] : NULL, &known);
    if (c) {
        print_cmd_help(stdout, c);
        return 0;
    }
    if (known) {
        print_group(stdout, argv[0]);
        return 0;
    }
    fprintf(stderr, "Fel: okänt kommando: %s\n", argv[0]);
    return LB_CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct lots l = {0};
    int i = 1;
    /* Common options before the command. */
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--json") == 0) {
            l.json = true;
        } else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
            l.server_opt = argv[++i];
        } else if (strncmp(argv[i], "--server=", 9) == 0) {
            l.server_opt = argv[i] + 9;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("lots %s\n", LOTS_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_overview(stdout);
            return 0;
        } else {
            fprintf(stderr, "Fel: okänd flagga: %s\n", argv[i]);
            print_overview(stderr);
            return LB_CLI_EXIT_USAGE;
        }
        i++;
    }
    if (i >= argc) {
        print_overview(stderr);
        return LB_CLI_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0)
        return help_command(argc - i - 1, argv + i + 1);
    bool known;
    const struct lots_cmd *c = find_cmd(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &known);
    if (!c) {
        if (known) {
            if (i + 1 < argc && strcmp(argv[i + 1], "--help") != 0 &&
                strcmp(argv[i + 1], "-h") != 0) {
                fprintf(stderr, "Fel: okänt underkommando: %s %s\n", argv[i], argv[i + 1]);
                print_group(stderr, argv[i]);
                return LB_CLI_EXIT_USAGE;
            }
            print_group(i + 1 < argc ? stdout : stderr, argv[i]);
            return i + 1 < argc ? 0 : LB_CLI_EXIT_USAGE;
        }
        fprintf(stderr, "Fel: okänt kommando: %s (se lots --help)\n", argv[i]);
        return LB_CLI_EXIT_USAGE;
    }
    int skip = c->sub ? 2 : 1;
    int rc = c->fn(&l, c, argc - i - skip, argv + i + skip);
    lots_client_free(&l);
    fflush(stdout);
    return rc;
}
