// web_story.mjs: Lotsbok's web interface in a real browser, the whole story
// across users. Debian's chromium (/usr/bin/chromium) is driven by playwright-core
// (pinned in package-lock.json); a real lotsd serves web/ and the API from a temp
// data directory. Every screen is checked with axe-core (no serious or critical
// violation) and saved as a screenshot under tests/e2e/screenshots/.
// web_phone_story.mjs plays the same story at 390 px (LB_E2E_PHONE).
//
// The story: a lots registers a company (the orgnr checked as typed) and opens a
// case, logs a phone call with the keyboard alone, hands the case to bygglov; the
// session then expires and the draft survives the new login; the bygglov handler
// acknowledges with a diarienummer and decides; the lots closes, reopens and
// closes the case, and records the follow-up call with the number keys; the
// viewer sees the quarter screen (not yet computed, then a stored snapshot); the
// admin creates a user. A company named <img src=x onerror=alert(1)> must show as
// text, and no dialog, page error or CSP violation may happen anywhere.
//
// Environment: LB_BUILD_DIR (lotsd), LB_SOURCE_DIR (the repository).

import fs from 'node:fs';
import path from 'node:path';
import {checkOrgnr} from '../../web/lib/orgnr.mjs';
import {ADMIN_PW, WEB, check, fatal, finish, login, logout, luhnNine, newPage, previousQuarter, quarterOf,
    screen, startLotsd, stockholmToday, call as hcall} from './harness.mjs';

// --- static checks: size, CSP-clean markup, no innerHTML ---------------------

function files(dir) {
    return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e =>
        e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}
const webFiles = files(WEB);
const total = webFiles.reduce((n, f) => n + fs.statSync(f).size, 0);
check(total < 250 * 1024, `web/ is ${total} bytes, under 250 KB`);
for (const f of webFiles) {
    const text = fs.readFileSync(f, 'utf8');
    const rel = path.relative(WEB, f);
    if (f.endsWith('.html')) {
        check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(text), `${rel}: no inline script`);
        check(!/\sstyle=|<style/i.test(text) && !/\son[a-z]+=/i.test(text), `${rel}: no inline style or handler`);
        check(/<html lang="sv">/.test(text), `${rel}: lang="sv"`);
    }
    if (f.endsWith('.mjs')) {
        check(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(text.replace(/^\s*\/\/.*$/gm, '')),
            `${rel}: no HTML parsing of strings`);
        check(!/setAttribute\(\s*'style'|\.style\./.test(text), `${rel}: no style attributes`);
    }
}

// --- lotsd ---------------------------------------------------------------------

let BASE, tmp, data;
const call = (...args) => hcall(BASE, ...args);

async function main() {
    const lotsd = await startLotsd();
    ({base: BASE, tmp, data} = lotsd);
    const root = await fetch(`${BASE}/`);
    check(root.status === 200 &&
        root.headers.get('content-security-policy') === "default-src 'self'; frame-ancestors 'none'",
        'GET / serves index.html with CSP default-src \'self\'; frame-ancestors \'none\'');
    const mjs = await fetch(`${BASE}/app.mjs`);
    check(/javascript/.test(mjs.headers.get('content-type') || ''), '.mjs served as JavaScript');

    const admin = (await call('POST', '/sessions', null, {username: 'admin', password: ADMIN_PW})).json.token;
    const service = fs.readFileSync(path.join(data, 'worker.token'), 'utf8').trim();
    for (const u of [{username: 'lotta', password: 'lotta-lösen-1', role: 'lots'},
        {username: 'bengt', password: 'bengt-lösen-1', role: 'handler', units: ['bygglov']},
        {username: 'vera', password: 'vera-lösen-1', role: 'viewer'}]) {
        const r = await call('POST', '/users', admin, u);
        if (r.status !== 201) fatal(`create user ${u.username}: ${r.status}`);
    }

    // The form's orgnr check (web/lib/orgnr.mjs) agrees with the server's on every
    // shape: GET /companies?orgnr= answers 400 with the server's code, else 200.
    const samples = ['5560360793', '556036-0793', '16556036-0793', '165560360793', '556036-0794', '5560360793 ',
        '19121212-1212', '121212-1212', '121212+1212', '191212121212', '201212121212', '18121212-1212',
        '0560360791', '4560360797', '5513360793', '6513130000', '121312-1210', '120229-1230', '000229-1236',
        '16121212-1212', '196513130000', '55603607931', '5560-360793', '556036--0793', 'abc', '', '556036+0793',
        '1212621210', '121272-1212', '9999999999', '2120000142', '8020000139'];
    for (let i = 0; i < 40; i++) samples.push(String(Math.floor(Math.random() * 1e10)).padStart(10, '0'));
    let agree = 0;
    for (const x of samples) {
        const r = await call('GET', `/companies?orgnr=${encodeURIComponent(x)}`, admin);
        const server = r.status === 200 ? 'ok' : r.json.error.code;
        const mine = checkOrgnr(x).code;
        if (server === mine || (x === '' && mine === 'invalid_orgnr_empty')) agree++;
        else console.log(`  orgnr ${JSON.stringify(x)}: server ${server}, web ${mine}`);
    }
    check(agree === samples.length, `the web orgnr check agrees with the server on ${agree}/${samples.length} inputs`);

    const page = await newPage(process.env.LB_E2E_PHONE ? {viewport: {width: 390, height: 844}} : {});
    if (process.env.LB_E2E_PHONE) console.log('(at 390 px)');

    // Login, with a wrong password first.
    await page.goto(`${BASE}/`);
    await page.getByRole('heading', {name: 'Logga in i Lotsbok'}).waitFor();
    await screen(page, '01-login');
    await page.getByLabel('Användarnamn').fill('lotta');
    await page.getByLabel('Lösenord').fill('fel-lösenord');
    await page.getByRole('button', {name: 'Logga in'}).click();
    await page.getByRole('alert').filter({hasText: 'Fel användarnamn eller lösenord'}).waitFor();
    check(true, 'a wrong password is announced in Swedish');
    await login(page, 'lotta', 'lotta-lösen-1');
    await page.getByRole('heading', {name: 'Min dag'}).waitFor();
    await screen(page, '02-min-dag-tom');

    // Register a company; the orgnr is checked while it is typed.
    const orgnr = luhnNine(`5590${String(Date.now() % 100000).padStart(5, '0')}`);
    await page.getByRole('link', {name: 'Företag', exact: true}).click();
    const nr = page.getByLabel('Organisationsnummer eller personnummer');
    await nr.fill(orgnr.slice(0, 9) + String((Number(orgnr[9]) + 1) % 10));
    await page.locator('#orgnr-status').filter({hasText: 'Kontrollsiffran'}).waitFor();
    check(await nr.getAttribute('aria-invalid') === 'true', 'a wrong check digit is flagged while typing');
    await nr.fill(`${orgnr.slice(0, 6)}-${orgnr.slice(6)}`);
    await page.locator('#orgnr-status').filter({hasText: 'Aktiebolag'}).waitFor();
    check(true, 'a valid orgnr is confirmed while typing (Aktiebolag)');
    await page.getByLabel('Företagets namn').fill('Mälarbåtar Roslagen AB');
    await page.getByLabel('Ort').fill('Norrtälje');
    await screen(page, '03-foretag');
    await page.getByRole('button', {name: 'Registrera företaget'}).click();
    await page.getByRole('heading', {name: 'Mälarbåtar Roslagen AB'}).waitFor();
    const companyId = Number(page.url().match(/foretag\/(\d+)/)[1]);

    // The same number again: the server's 409, in Swedish, with a link.
    await page.goto(`${BASE}/#/foretag`);
    await page.getByLabel('Organisationsnummer eller personnummer').fill(orgnr);
    await page.getByLabel('Företagets namn').fill('Dubblett AB');
    await page.getByRole('button', {name: 'Registrera företaget'}).click();
    // Said once, next to the number (issue 25, item 9), with a link to the company.
    await page.locator('.field-msg').filter({hasText: 'redan registrerat'}).waitFor();
    check(await page.getByText('Företaget är redan registrerat.').count() === 1, 'the duplicate is said once');
    check(await page.getByRole('link', {name: 'Öppna det registrerade företaget'}).count() === 1,
        'a duplicate orgnr links to the registered company');

    // Search without diacritics.
    await page.getByLabel('Namn eller organisationsnummer').fill('malarbatar');
    await page.getByRole('button', {name: 'Sök', exact: true}).click();
    await page.getByRole('link', {name: 'Mälarbåtar Roslagen AB'}).waitFor();
    check(true, 'search "malarbatar" finds Mälarbåtar');
    await page.getByLabel('Namn eller organisationsnummer').fill(`${orgnr.slice(0, 6)}-${orgnr.slice(6)}`);
    await page.getByRole('button', {name: 'Sök', exact: true}).click();
    await page.locator('#search-results').filter({hasText: '1 träff.'}).waitFor();
    check(true, 'search by formatted orgnr finds the company');

    // A hostile company name shows as text.
    const evil = '<img src=x onerror=alert(1)>';
    await page.getByLabel('Organisationsnummer eller personnummer').fill(luhnNine('556677889'.slice(0, 9)));
    await page.getByLabel('Företagets namn').fill(evil);
    await page.getByRole('button', {name: 'Registrera företaget'}).click();
    await page.getByRole('heading', {name: evil}).waitFor();
    check(await page.locator('main img').count() === 0, 'a company named <img …> is shown as text, no element made');
    await page.getByLabel('Rubrik').fill(evil);
    await page.getByRole('button', {name: 'Öppna ärendet'}).click();
    await page.getByRole('heading', {name: `: ${evil}`}).waitFor();
    check(await page.locator('main img').count() === 0, 'a case subject <img …> is shown as text');

    // Open a case on the company.
    await page.goto(`${BASE}/#/foretag/${companyId}`);
    await page.getByLabel('Rubrik').fill('Ny båthall vid Norrtäljeviken');
    await page.getByLabel('Kategori').selectOption('premises_land');
    await page.getByLabel('Beskrivning').fill('Vill bygga en båthall på 1 200 m².');
    await page.getByRole('button', {name: 'Öppna ärendet'}).click();
    await page.getByRole('heading', {name: /Ny båthall/}).waitFor();
    const caseId = Number(page.url().match(/arende\/(\d+)/)[1]);

    // Log a phone call with the keyboard alone: focus already in the summary.
    const t0 = Date.now();
    check(await page.evaluate(() => document.activeElement && document.activeElement.name) === 'summary',
        'the case page puts the focus in the contact summary');
    await page.keyboard.type('Ringde om bygglov för båthallen, skickar vidare.');
    await page.keyboard.press('Control+Enter');
    await page.locator('.tl-contact').filter({hasText: 'Ringde om bygglov'}).waitFor();
    const logged = Date.now() - t0;
    check(logged < 15000, `a phone call logged with the keyboard in ${logged} ms (bar 15 s)`);
    check(await page.locator('.tl-contact .tl-head').first().innerText().then(t => t.includes('Telefon')),
        'the channel defaulted to phone');
    check(await page.evaluate(() => document.activeElement && document.activeElement.name) === 'summary',
        'after saving, the focus is back in the summary');

    // Hand it to bygglov (the form is a panel beside the timeline).
    await page.locator('summary', {hasText: 'Lämna över till enhet'}).click();
    await page.getByRole('combobox', {name: /^Enhet/}).selectOption('bygglov');
    await page.getByLabel('Meddelande till enheten').fill('Förhandsbesked för båthall, ring Anna.');
    await page.getByRole('button', {name: 'Lämna över'}).click();
    await page.locator('.tl-handoff').filter({hasText: 'Bygglov'}).waitFor();
    await screen(page, '04-arende');
    const sentHo = (await call('GET', '/handoffs?status=sent', admin)).json.items.find(x => x.case_id === caseId);
    check((await call('POST', `/handoffs/${sentHo.id}/overdue`, service, {}, {'Idempotency-Key': 'e2e-overdue'})).status === 200,
        'the hand-off flagged overdue as the service user');

    // The session expires while a note is being typed: the draft survives.
    const tok = await page.evaluate(() => sessionStorage.getItem('lotsbok.token'));
    check((await call('DELETE', '/sessions/current', tok)).status === 204, 'session revoked behind the page');
    await page.getByLabel('Sammanfattning').fill('Utkast som inte får försvinna');
    await page.keyboard.press('Control+Enter');
    await page.getByRole('heading', {name: 'Logga in i Lotsbok'}).waitFor();
    check(await page.getByText('Din inloggning har gått ut').count() === 1, 'a 401 brings back the login with a notice');
    await login(page, 'lotta', 'lotta-lösen-1');
    await page.getByRole('heading', {name: /Ny båthall/}).waitFor();
    check(await page.getByLabel('Sammanfattning').inputValue() === 'Utkast som inte får försvinna',
        'after logging in again, the case page and the typed draft are back');
    await page.keyboard.press('Control+Enter');
    await page.locator('.tl-contact').filter({hasText: 'Utkast som inte'}).waitFor();
    await page.getByRole('link', {name: 'Min dag'}).click();
    const late = page.locator('section', {has: page.getByRole('heading', {name: 'Överlämningar som väntar för länge'})});
    await late.locator('tr.overdue').filter({hasText: 'Bygglov'}).waitFor();
    check(true, 'Min dag lists my case\'s hand-off that is overdue at bygglov');
    await logout(page);

    // The bygglov handler: inbox, acknowledge with the diarienummer, decide.
    await login(page, 'bengt', 'bengt-lösen-1');
    await page.getByRole('heading', {name: 'Inkorg'}).waitFor();
    await page.getByRole('cell', {name: /Ny båthall/}).waitFor();
    check(await page.locator('tr.overdue', {hasText: 'Ny båthall'}).getByText('Försenad').count() === 1,
        'the inbox highlights the overdue hand-off');
    await screen(page, '05-inkorg');
    await page.getByRole('link', {name: /Ta emot Mälarbåtar/}).click();
    await page.getByLabel('Enhetens diarienummer').fill('BN 2026-000123');
    await screen(page, '06-overlamning');
    await page.getByRole('button', {name: 'Ta emot'}).click();
    await page.getByRole('combobox', {name: /^Beslut/}).waitFor();
    await page.getByRole('combobox', {name: /^Beslut/}).selectOption('granted');
    await page.getByLabel('Anteckning').fill('Positivt förhandsbesked.');
    await page.getByRole('button', {name: 'Spara beslutet'}).click();
    await page.getByRole('heading', {name: 'Inkorg'}).waitFor();
    const ho = (await call('GET', `/handoffs?status=decided`, admin)).json.items.find(x => x.case_id === caseId);
    check(ho && ho.reference === 'BN 2026-000123' && ho.decision === 'granted', 'the hand-off is acknowledged and decided');
    await logout(page);

    // The lots closes the case (and reopens and closes it again).
    await login(page, 'lotta', 'lotta-lösen-1');
    await page.goto(`${BASE}/#/arende/${caseId}`);
    await page.locator('.tl-handoff').filter({hasText: 'BN 2026-000123'}).waitFor();
    await page.locator('summary', {hasText: 'Avsluta ärendet'}).click();
    await page.getByLabel('Utfall').selectOption('resolved');
    await page.getByRole('button', {name: 'Avsluta ärendet'}).click();
    await page.getByRole('button', {name: 'Öppna ärendet igen'}).click();
    await page.locator('summary', {hasText: 'Avsluta ärendet'}).click();
    await page.getByRole('button', {name: 'Avsluta ärendet'}).click();
    await page.getByRole('button', {name: 'Öppna ärendet igen'}).waitFor();
    const cs = (await call('GET', `/cases/${caseId}`, admin)).json;
    check(cs.status === 'closed' && cs.outcome === 'resolved', 'the case is closed as resolved');

    // The follow-up call (the worker's part, done here as the service user).
    const day = stockholmToday();
    const fr = await call('POST', '/followups', service, {company_id: companyId, due: day, assignee: 'lotta',
        items: [{kind: 'lots', case_id: caseId}, {kind: 'unit', case_id: caseId, handoff_id: ho.id}]},
    {'Idempotency-Key': 'e2e-followup-1'});
    check(fr.status === 201, 'follow-up scheduled as the service user');
    await page.getByRole('link', {name: 'Min dag'}).click();
    await page.getByRole('link', {name: /Ring Mälarbåtar/}).waitFor();
    await screen(page, '07-min-dag');
    await page.getByRole('link', {name: /Ring Mälarbåtar/}).click();
    await page.getByRole('heading', {name: /Uppföljningssamtal: Mälarbåtar/}).waitFor();
    await screen(page, '08-uppfoljning');
    // lots: 5 questions, bygglov: 10; digits answer and move on, 0 = vet ej.
    const keys = ['5', '6', '1', '0', '4', '5', '5', '4', '6', '6', '5', '3', '6', '5', '1'];
    for (const k of keys) await page.keyboard.press(k);
    check(await page.evaluate(() => document.activeElement.name) === 'comment', 'the digits walked through every question');
    await page.keyboard.type('Nöjd, vill ha snabbare besked nästa gång.');
    await page.keyboard.press('Control+Enter');
    await page.getByRole('heading', {name: 'Min dag'}).waitFor();
    const fu = (await call('GET', `/followups/${fr.json.id}`, admin)).json;
    check(fu.status === 'done', 'the follow-up is recorded as done');
    check(fu.answers && fu.answers.lots.reached_right_person === 5 && fu.answers.lots.easy_contact === true &&
        !('treatment' in fu.answers.lots) && fu.answers.lots.website_information === 4 &&
        fu.answers.bygglov.nki_overall === 5 && fu.answers.bygglov.efficiency === 5 &&
        fu.answers.bygglov.clear_and_lawful === true, `the answers are stored as keyed (${JSON.stringify(fu.answers)})`);
    await logout(page);

    // The viewer: the quarter screen, not computed yet, then a stored snapshot.
    const q = quarterOf(day), prev = previousQuarter(q);
    const snap = {quarter: prev, computed_at: new Date().toISOString(), source_seq: 1, min_answers: 7,
        lots: {companies_guided: 41, companies_guided_ytd: 41, cases_opened: 52, cases_closed: 47,
            contacts: {phone: 80, email: 40, visit: 6, meeting: 9, video: 3},
            followups: {due: 30, done: 22, no_answer: 3, declined: 2, unreachable: 1, response_rate: 0.88},
            questions: {reached_right_person: {index: 74.3, n: 22, ci95: [68.1, 80.5], suppressed: false},
                usefulness: {index: null, n: 5, ci95: null, suppressed: true},
                treatment: {index: null, n: 9, ci95: null, suppressed: true}},
            easy_contact: {value: 0.86, n: 22, suppressed: false}},
        units: {bygglov: {handoffs: 12, acknowledged_in_time: {value: 0.92, n: 12, suppressed: false},
            decision_working_days: {median: 14, p90: 31, n: 10}, overdue: 1,
            followups: {due: 10, done: 9, no_answer: 1, declined: 0, unreachable: 0, response_rate: 1.0},
            nki: {label: 'NKI', index: 71.2, n: 9, ci95: [64.0, 78.4], grade: 'högt', suppressed: false},
            questions: {}, clear_and_lawful: {value: 0.89, n: 9, suppressed: false}}},
        total: {nki: {label: 'NKI totalt', index: 68.4, n: 23, ci95: [62.9, 73.9], grade: 'godkänt', suppressed: false},
            units: ['bygglov', 'miljo'], beside: [], clear_and_lawful: {value: 0.87, n: 23, suppressed: false}},
        improvements: {identified: 5, implemented: 3, identified_total: 12, implemented_total: 7}};
    const put = await call('PUT', `/indicators/${prev}`, service, snap);
    check(put.status === 200 || put.status === 201, `snapshot for ${prev} stored (${put.status})`);
    await call('POST', '/improvements', admin, {title: 'Snabbare kvittens av överlämningar', unit: 'bygglov'},
        {'Idempotency-Key': 'e2e-imp-1'});
    await login(page, 'vera', 'vera-lösen-1');
    await page.getByRole('heading', {name: `Kvartalsuppföljning ${q}`}).waitFor();
    await page.getByText('Inga indikatorer beräknade för kvartalet ännu').waitFor();
    check(true, 'a quarter without indicators says so');
    await screen(page, '09-kvartal-tomt');
    await page.getByLabel('Kvartal', {exact: true}).selectOption(prev);
    await page.getByRole('button', {name: 'Visa'}).click();
    await page.getByRole('heading', {name: `Kvartalsuppföljning ${prev}`}).waitFor();
    const lotsText = await page.locator('section', {has: page.getByRole('heading', {name: 'Företagslotsen', exact: true})}).innerText();
    check(/Nytta av lotsen\s+för få svar \(n = 5\)/.test(lotsText) &&
        /Bemötande\s+dold, så att en annan dold uppgift inte kan räknas fram/.test(lotsText),
        'a figure on too few answers says so; one hidden to protect another (n ≥ min_answers) says that instead');
    const unitsText = await page.locator('section', {has: page.getByRole('heading', {name: 'Enheterna'})}).innerText();
    check(/71,2/.test(unitsText) && /högt/.test(unitsText) && /14 \/ 31/.test(unitsText), 'the units\' NKI, grade and handling time show');
    check(/NKI totalt 68,4 \(62,9–73,9\), n = 23 – godkänt/.test(unitsText) && /NKI totalt är SKR:s totala NKI/.test(unitsText),
        `SKR's NKI totalt shows beside the units (${unitsText.split('Totalt')[1]})`);
    await screen(page, '10-kvartal');
    const [dl] = await Promise.all([page.waitForEvent('download'),
        page.getByRole('button', {name: /CSV/}).click()]);
    const csvPath = path.join(tmp, 'report.csv');
    await dl.saveAs(csvPath);
    const csv = fs.readFileSync(csvPath, 'utf8');
    check(dl.suggestedFilename() === `kvartalsrapport-${prev}.csv` && csv.includes('Kvartal;'), 'the CSV report downloads');
    const [dl2] = await Promise.all([page.waitForEvent('download'),
        page.getByRole('button', {name: /HTML/}).click()]);
    await dl2.saveAs(path.join(tmp, 'report.html'));
    check(fs.readFileSync(path.join(tmp, 'report.html'), 'utf8').includes('<html lang="sv"'), 'the HTML report downloads');
    // The improvement actions (identified this quarter, so not in the previous quarter's review).
    await page.getByRole('link', {name: 'Förbättringar'}).click();
    await page.getByRole('cell', {name: /Snabbare kvittens av överlämningar/}).waitFor();
    check(true, 'the improvement actions show');
    await logout(page);

    // The admin: users and roles.
    await login(page, 'admin', ADMIN_PW);
    await page.getByRole('heading', {name: 'Användare och roller'}).waitFor();
    const create = page.getByRole('form', {name: 'Ny användare'});
    await create.getByLabel('Användarnamn').fill('hanna');
    await create.getByLabel('Lösenord').fill('hanna-lösen-1');
    await create.getByLabel('Roll', {exact: true}).selectOption('handler');
    await create.getByLabel('Miljö- och hälsoskydd').check();
    await create.getByRole('button', {name: 'Skapa användaren'}).click();
    await page.getByRole('cell', {name: 'hanna', exact: true}).waitFor();
    await screen(page, '11-anvandare');
    const users = (await call('GET', '/users', admin)).json.items;
    check(users.some(u => u.username === 'hanna' && u.role === 'handler' && u.units.includes('miljo')),
        'the admin created a handler of miljö');
}

await finish(main);
