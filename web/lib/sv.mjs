// sv.mjs: the Swedish words of the interface — enum labels, error messages,
// the follow-up questions as they are read aloud — and date formatting in
// Europe/Stockholm. The API speaks English codes; only this file translates.

// The configured units' display names, filled from GET /units by ref.mjs (one
// list for every screen and the report); the lots function is LOTS.
export const UNITS = {};
export const LOTS = 'Företagslotsen';
export const CATEGORIES = {
    establishment: 'Etablering', expansion: 'Expansion', permit: 'Tillstånd',
    premises_land: 'Lokaler och mark', procurement: 'Upphandling', recruitment: 'Rekrytering',
    other: 'Övrigt',
};
export const CHANNELS = {phone: 'Telefon', email: 'E-post', visit: 'Besök', meeting: 'Möte', video: 'Videomöte'};
export const DIRECTIONS = {inbound: 'Inkommande', outbound: 'Utgående'};
export const OUTCOMES = {
    resolved: 'Löst', referred: 'Hänvisat vidare', withdrawn: 'Företaget drog tillbaka', no_action: 'Ingen åtgärd',
};
export const CASE_STATUS = {open: 'Öppet', closed: 'Avslutat'};
export const HANDOFF_STATUS = {sent: 'Skickad', acknowledged: 'Mottagen', decided: 'Beslutad', withdrawn: 'Återkallad'};
export const DECISIONS = {
    granted: 'Beviljat', refused: 'Avslag', advice_given: 'Rådgivning lämnad', withdrawn: 'Återkallat', other: 'Annat',
};
export const FOLLOWUP_STATUS = {
    scheduled: 'Planerad', done: 'Genomförd', no_answer: 'Inget svar', declined: 'Avböjd',
    unreachable: 'Ej nåbar', cancelled: 'Avbruten',
};
export const ROLES = {
    lots: 'Företagslots', handler: 'Handläggare', viewer: 'Arbetsgrupp (läsbehörighet)',
    admin: 'Administratör', service: 'Tjänstekonto',
};
export const IMPROVEMENT_STATUS = {identified: 'Identifierad', implemented: 'Genomförd', dropped: 'Avförd'};

export function label(map, code) {
    return code === null || code === undefined ? '' : (map[code] || code);
}

// [[code, label], …] for a select.
export function options(map) {
    return Object.entries(map);
}

const ERRORS = {
    invalid_credentials: 'Fel användarnamn eller lösenord.',
    unauthorized: 'Du är inte inloggad, eller så har inloggningen gått ut.',
    forbidden: 'Du har inte behörighet att göra det här.',
    not_found: 'Uppgiften finns inte, eller så har du inte tillgång till den.',
    duplicate_orgnr: 'Företaget är redan registrerat.',
    duplicate_username: 'Det finns redan en användare med det namnet.',
    duplicate_item: 'Samtalet omfattar redan detta.',
    duplicate: 'Det finns redan.',
    invalid_transition: 'Det går inte i nuvarande läge (ärendet eller överlämningen har ändrats). Ladda om sidan.',
    legal_hold: 'Ärendet är spärrat för gallring (legal hold).',
    stale: 'Någon annan har ändrat uppgifterna under tiden. Ladda om sidan och försök igen.',
    correction_closed: 'Svaren kan bara rättas samma dag som samtalet registrerades.',
    company_answer: 'Företaget svarade själv i e-postenkäten. De svaren kan inte rättas.',
    too_many_corrections: 'Samtalet har rättats för många gånger.',
    too_large: 'Det du skickade är för stort.',
    missing_field: 'Fältet måste fyllas i.',
    invalid_type: 'Fältet har fel typ av värde.',
    too_long: 'Texten är för lång.',
    invalid_enum: 'Välj ett av alternativen.',
    invalid_time: 'Ogiltig tidpunkt.',
    invalid_date: 'Ogiltigt datum.',
    out_of_range: 'Värdet ligger utanför det tillåtna intervallet.',
    invalid_value: 'Ogiltigt värde.',
    unknown_unit: 'Okänd enhet.',
    unknown_company: 'Företaget finns inte.',
    unknown_question: 'Okänd fråga.',
    unknown_user: 'Användaren finns inte eller är avstängd.',
    invalid_username: 'Användarnamnet får bara innehålla a–z, 0–9, punkt, bindestreck och understreck.',
    password_too_short: 'Lösenordet måste ha minst 8 tecken.',
    password_weak: 'Lösenordet är för lätt att gissa. Välj ett längre, gärna en fras av flera ord.',
    too_many_attempts: 'För många misslyckade inloggningar. Vänta en stund och försök igen.',
    overloaded: 'Servern är överbelastad just nu. Försök igen om en stund.',
    storage_full: 'Servern har slut på lagringsutrymme. Inget sparades. Kontakta driften.',
    not_computed: 'Inga indikatorer beräknade för kvartalet ännu.',
    network: 'Kunde inte nå servern. Kontrollera anslutningen och försök igen.',
    invalid_orgnr_empty: 'Ange organisationsnummer eller personnummer.',
    invalid_orgnr_format: 'Skriv numret som 556036-0793 (10 siffror) eller 16556036-0793 (12 siffror).',
    invalid_orgnr_checksum: 'Kontrollsiffran (sista siffran) stämmer inte. Kontrollera numret.',
    invalid_orgnr_prefix: 'Ett 12-siffrigt nummer ska börja med 16 (juridisk person) eller 19/20 (personnummer).',
    invalid_orgnr_middle_digits: 'Siffra 3–4 passar varken ett organisationsnummer (minst 20) eller en månad.',
    invalid_orgnr_date: 'Personnumret innehåller ett datum som inte finns.',
    invalid_orgnr_group: 'Första siffran anger ingen giltig företagsform.',
    invalid_orgnr: 'Ogiltigt organisationsnummer.',
    // the import (views/import.mjs, docs/import.md)
    empty_file: 'Filen är tom.',
    unreadable_file: 'Filen kan inte läsas som CSV eller Excel-arbetsbok (XLSX). Spara den från Excel som ' +
        '"CSV UTF-8" eller som Excel-arbetsbok och försök igen.',
    missing_column: 'Filen saknar en kolumn för organisationsnummer eller företagsnamn bland de tio första raderna.',
    duplicate_column: 'Samma uppgift finns i två kolumner i rubrikraden. Ta bort den ena.',
    too_many_rows: 'Filen har mer än 1 000 000 rader. Dela upp den i flera filer.',
    payload_too_large: 'Filen är större än 50 MB. Dela upp den i flera filer.',
    concurrent_change: 'Någon ändrade ett av företagen medan filen lästes in. Inget sparades – importera filen igen.',
    company_anonymized: 'Företaget är anonymiserat; en import för inte tillbaka dess uppgifter.',
    too_many_contacts: 'Företaget har redan 100 kontaktpersoner, det högsta som går.',
    no_answers: 'Fyll i minst ett svar eller en kommentar.',
    not_a_training: 'Frågan om kunskap gäller bara utbildningar.',
    invalid_action: 'Ange åtgärdernas nummer i handlingsplanen, till exempel 6.2.',
};

// Messages that depend on the field at fault ("code:field").
const FIELD_ERRORS = {
    'missing_field:units': 'Välj minst en enhet – en handläggare hör till en eller flera enheter.',
    'missing_field:note': 'Skriv ett meddelande till enheten: vad gäller ärendet och vad behöver de veta?',
    'unknown_user:owner': 'Välj en aktiv företagslots.',
    'missing_field:file': 'Välj en fil att importera.',
};

// The Swedish message for an API error code (field: the field's name; el: the
// control, so that an empty choice reads "Välj …" rather than "fyll i").
export function errorText(code, field, el) {
    if (field && FIELD_ERRORS[`${code}:${field}`]) return FIELD_ERRORS[`${code}:${field}`];
    if (code === 'missing_field' && el && (el.tagName === 'SELECT' || el.type === 'radio' || el.type === 'checkbox')) {
        return 'Välj ett av alternativen.';
    }
    return ERRORS[code] || `Något gick fel (${code || 'okänt fel'}).`;
}

const SCALE = 'scale', YESNO = 'yesno';
export const QUESTIONS = {
    lots: [
        ['reached_right_person', SCALE, 'Hur nöjd är du med möjligheten att komma i kontakt med rätt person?'],
        ['usefulness', SCALE, 'Hur stor nytta hade du av företagslotsen?'],
        ['easy_contact', YESNO, 'Var det enkelt att komma i kontakt med rätt person?'],
        ['treatment', SCALE, 'Hur nöjd är du med bemötandet?'],
        ['website_information', SCALE, 'Hur nöjd är du med informationen på kommunens webbplats?'],
    ],
    unit: [
        ['nki_overall', SCALE, 'Hur nöjd är du totalt sett med kommunens service i ditt ärende?'],
        ['nki_expectations', SCALE, 'Hur väl motsvarade servicen dina förväntningar?'],
        ['nki_ideal', SCALE, 'Tänk dig en perfekt service. Hur nära den kom servicen du fick?'],
        ['information', SCALE, 'Hur nöjd är du med informationen du fick?'],
        ['accessibility', SCALE, 'Hur nöjd är du med tillgängligheten – att nå handläggaren?'],
        ['treatment', SCALE, 'Hur nöjd är du med bemötandet?'],
        ['competence', SCALE, 'Hur nöjd är du med handläggarens kompetens?'],
        ['legal_certainty', SCALE, 'Hur nöjd är du med rättssäkerheten i handläggningen?'],
        ['efficiency', SCALE, 'Hur nöjd är du med hur snabbt och effektivt ärendet hanterades?'],
        ['clear_and_lawful', YESNO, 'Upplevde du att handläggningen var tydlig och rättssäker?'],
    ],
};
export const SCALE_TOP = 6;

// Short names of the questions, for the indicator tables.
export const QUESTION_NAMES = {
    reached_right_person: 'Kontakt med rätt person', usefulness: 'Nytta av lotsen', treatment: 'Bemötande',
    website_information: 'Information på webbplatsen', nki_overall: 'Totalt nöjd',
    nki_expectations: 'Motsvarade förväntningarna', nki_ideal: 'Nära perfekt service',
    information: 'Information', accessibility: 'Tillgänglighet', competence: 'Kompetens',
    legal_certainty: 'Rättssäkerhet', efficiency: 'Effektivitet',
};

const TZ = 'Europe/Stockholm';
const dateFmt = new Intl.DateTimeFormat('sv-SE', {timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit'});
const timeFmt = new Intl.DateTimeFormat('sv-SE', {timeZone: TZ, hour: '2-digit', minute: '2-digit'});

// Today's date in Stockholm as YYYY-MM-DD.
export function today(d) {
    return dateFmt.format(d || new Date());
}

// "2026-03-14 10:30" in Stockholm time from an RFC 3339 instant; '' for null.
export function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return `${dateFmt.format(d)} ${timeFmt.format(d)}`;
}

export function dateOf(iso) {
    return iso ? dateFmt.format(new Date(iso)) : '';
}

// The quarter YYYY-Qn of a Stockholm date, and the n quarters before it.
export function quarterOf(date) {
    const [y, m] = date.split('-').map(Number);
    return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
}
export function quartersBack(q, n) {
    let [y, k] = [Number(q.slice(0, 4)), Number(q.slice(6))];
    const out = [];
    for (let i = 0; i < n; i++) {
        out.push(`${y}-Q${k}`);
        k -= 1;
        if (k === 0) { k = 4; y -= 1; }
    }
    return out;
}

// Numbers the Swedish way: 0,88 → "88 %", 71.2 → "71,2".
export function num(v, digits) {
    if (v === null || v === undefined) return '–';
    return v.toLocaleString('sv-SE', {minimumFractionDigits: digits || 0, maximumFractionDigits: digits ?? 1});
}
export function pct(v) {
    return v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`;
}
