// meeting_story.mjs: meetings, trainings and their evaluations in the browser
// (web/views/meetings.mjs, docs/meetings.md), on the demo's year of meetings. Lotta (lots)
// opens Träffar, filters by kind and year, registers an upphandling training, adds a
// company found by search-as-you-type (by the keyboard) and one not yet in the register
// (the orgnr checked as typed), documents a need, types in paper evaluations with the
// number keys — the shares stay hidden under 7 answers, then show — downloads the QR sheet,
// edits the meeting and finds it on the company's page. The arbetsgrupp's viewer on a
// phone sees counts and the summary, never a name or a comment. Every screen: axe-core,
// ≤ 3 API requests, no horizontal overflow at 390 px; screenshots tests/e2e/screenshots/meet-*.png.

import fs from 'node:fs';
import path from 'node:path';
import {call, check, fatal, finish, login, logout, luhnNine, newPage, overflow, screen, startLotsd, stockholmToday,
    timedScreen} from './harness.mjs';

const lotsd = await startLotsd({demo: true});
const BASE = lotsd.base;
const YEAR = Number(stockholmToday().slice(0, 4));

// A screen's own requests: the GETs that show it, not the write that led there nor the
// menu counts' GET /me that app.mjs makes after a write (never part of a screen).
async function timed(page, what, action) {
    const t = await timedScreen(page, action);
    t.requests = t.requests.filter(r => r.startsWith('GET ') && !r.startsWith('GET /me'));
    check(t.requests.length <= 3, `${what}: ${t.requests.length} API requests (at most 3)` +
        (t.requests.length > 3 ? `: ${t.requests.join(', ')}` : ''));
    return t;
}
async function narrow(page, what) {
    const px = await overflow(page);
    check(px <= 0, `${what}: no horizontal overflow at 390 px (${px} px too wide)`);
}

await finish(async () => {
    const admin = (await call(BASE, 'POST', '/sessions', null, {username: 'admin', password: lotsd.adminPassword})).json.token;
    for (const u of [{username: 'lotta', password: 'lotta-lösen-1', role: 'lots'},
        {username: 'vera', password: 'vera-lösen-1', role: 'viewer'}]) {
        const r = await call(BASE, 'POST', '/users', admin, u);
        if (r.status !== 201) fatal(`create user ${u.username}: ${r.status}`);
    }
    const varvOrgnr = luhnNine('556677889');
    const varv = await call(BASE, 'POST', '/companies', admin, {orgnr: varvOrgnr, name: 'Roslagsvarvet Öst AB', locality: 'Grisslehamn'});
    if (varv.status !== 201) fatal(`create company: ${varv.status}`);
    const all = await call(BASE, 'GET', `/meetings?year=${YEAR}&limit=500`, admin);
    const infra = all.json.items.filter(m => m.kind === 'infrastructure_meeting').length;

    // Lotta: the list, by kind and year.
    const page = await newPage();
    await page.goto(`${BASE}/`);
    await login(page, 'lotta', 'lotta-lösen-1');
    await timed(page, 'the list', () => page.getByRole('link', {name: 'Träffar'}).click());
    await page.getByRole('heading', {name: `Träffar och utbildningar ${YEAR}`}).waitFor();
    check(await page.locator('#meetings tbody tr').count() > 0 || all.json.items.length === 0, 'the year\'s meetings are listed');
    await screen(page, 'meet-01-list');
    if (all.json.items.length > 5) {
        await page.getByLabel('Typ av träff', {exact: true}).selectOption('infrastructure_meeting');
        const shown = await page.locator('#meetings tbody tr').count();
        check(shown === Math.min(infra, 25), `the kind filter: ${shown} infrastrukturträffar (${infra} in the API)`);
        await page.getByLabel('Typ av träff', {exact: true}).selectOption('');
    }
    await page.getByLabel('År', {exact: true}).selectOption(String(YEAR - 1));
    await timed(page, 'the list of last year', () => page.getByRole('button', {name: 'Visa'}).click());
    await page.getByRole('heading', {name: `Träffar och utbildningar ${YEAR - 1}`}).waitFor();
    check(true, 'the year picker shows last year\'s meetings');

    // A new training.
    await timed(page, 'a new meeting', () => page.goto(`${BASE}/#/traff/ny`));
    await page.getByRole('heading', {name: 'Ny träff'}).waitFor();
    await screen(page, 'meet-02-new');
    await page.getByLabel('Typ av träff', {exact: true}).selectOption('company_training');
    await page.getByLabel('Rubrik').fill('Upphandlingsskola: så lämnar du anbud');
    await page.getByLabel('Datum').fill(stockholmToday());
    await page.getByLabel('Klockslag').fill('13:00');
    await page.getByLabel('Plats').fill('Kommunhuset, sal Roslagen');
    await page.getByLabel('Åtgärder i handlingsplanen').fill('1.4');
    await timed(page, 'the new meeting\'s page', () => page.getByRole('button', {name: 'Registrera träffen'}).click());
    await page.getByRole('heading', {name: 'Upphandlingsskola: så lämnar du anbud'}).waitFor();
    const id = Number(page.url().match(/traff\/(\d+)/)[1]);
    const stored = (await call(BASE, 'GET', `/meetings/${id}`, admin)).json;
    check(stored.kind === 'company_training' && stored.actions.join() === '1.4' &&
        new Intl.DateTimeFormat('sv-SE', {timeZone: 'Europe/Stockholm', hour: '2-digit', minute: '2-digit'})
            .format(new Date(stored.starts_at)) === '13:00', `the meeting is stored at 13:00 Stockholm time (${stored.starts_at})`);

    // A registered company by search-as-you-type, by the keyboard.
    const find = page.getByLabel('Sök företag i registret');
    await find.focus();
    await page.keyboard.type('roslagsvar');
    await page.getByRole('button', {name: /Lägg till Roslagsvarvet Öst AB/}).waitFor();
    await page.keyboard.press('ArrowDown');
    check(await page.evaluate(() => document.activeElement.textContent.includes('Roslagsvarvet')), 'ArrowDown moves to the hit');
    await page.keyboard.press('Enter');
    await page.locator('table a', {hasText: 'Roslagsvarvet Öst AB'}).waitFor();
    check(await page.evaluate(() => document.activeElement.getAttribute('data-key') === 'find'),
        'after adding, the focus is back in the search field');

    // A company not in the register: the orgnr is checked as typed.
    await page.getByText('Finns inte i registret? Registrera företaget här').click();
    const nr = page.getByLabel('Organisationsnummer eller personnummer');
    await nr.fill('556036-0794');
    await page.getByText('Kontrollsiffran (sista siffran) stämmer inte').waitFor();
    check(await nr.getAttribute('aria-invalid') === 'true', 'a wrong check digit is marked invalid while typed');
    const kafeNr = luhnNine('559123456');
    await nr.fill(`${kafeNr.slice(0, 6)}-${kafeNr.slice(6)}`);
    await page.locator('.orgnr-status.ok').waitFor();
    await page.getByLabel('Företagets namn').fill('Grisslehamns Kafé & Bageri');
    await page.getByLabel('Antal personer', {exact: true}).nth(1).fill('2');
    await page.getByRole('button', {name: 'Registrera och lägg till'}).click();
    await page.locator('table a', {hasText: 'Grisslehamns Kafé & Bageri'}).waitFor();
    const att = (await call(BASE, 'GET', `/meetings/${id}`, admin)).json;
    check(att.companies.length === 2 && att.companies.some(c => c.orgnr === kafeNr && c.persons === 2) && att.participants === 3,
        `both companies attend, the new one registered with two persons (3 participants): ${JSON.stringify(att.companies)}`);

    // A documented need.
    await page.getByLabel('Vad').selectOption('need');
    await page.getByLabel('Text').fill('Fler dragningar om ramavtal och direktupphandling');
    await page.getByRole('button', {name: 'Lägg till', exact: true}).click();
    await page.getByText('Fler dragningar om ramavtal och direktupphandling').waitFor();
    check((await page.getByRole('heading', {name: 'Uttryckta behov (1)'}).count()) === 1, 'the need is documented');

    // Paper evaluations by the keyboard: 1–6 answers the question and moves on.
    const paper = async (rel, know, comment) => {
        const before = (await call(BASE, 'GET', `/meetings/${id}`, admin)).json.evaluation.n;
        await page.locator('fieldset[data-key="relevant"] input:checked').focus();
        await page.keyboard.press(rel);
        await page.keyboard.press(know);
        if (comment) await page.keyboard.type(comment);
        else await page.getByLabel('Kommentar').focus();
        await page.keyboard.press('Control+Enter');
        await page.waitForFunction(n => {
            const c = document.querySelector('section[aria-labelledby="ev-h"] .card .n');
            return c && c.textContent === String(n);
        }, before + 1);
    };
    await paper('5', '1', 'Mycket bra genomgång av LOU.');
    for (const r of ['6', '4', '2', '5', '6']) await paper(r, r === '2' ? '2' : '1', null);
    check(await page.getByText('visas från 7 svar (6 svar hittills)').count() === 2, 'six answers: the shares stay hidden');
    await paper('4', '0', 'Kaffet tog slut.');
    const ev = (await call(BASE, 'GET', `/meetings/${id}`, admin)).json.evaluation;
    check(ev.n === 7 && ev.paper === 7 && ev.relevant.n === 7 && !ev.relevant.suppressed && ev.knowledge.n === 6,
        `seven paper forms stored (relevant n ${ev.relevant.n}, knowledge n ${ev.knowledge.n})`);
    check(await page.getByText(/relevant \(4–6 på en skala 1–6\): 86 % av 7 svar/).count() === 1,
        'seven answers: the share found relevant shows (6 of 7)');
    check(await page.getByText('Fick stärkt kunskap: visas från 7 svar (6 svar hittills).').count() === 1,
        'the knowledge question with six answers stays hidden');
    check(await page.getByText('Kaffet tog slut.').count() === 1, 'the lots reads the comments');
    check(await page.locator('svg.qr').count() === 1, 'the QR code is on the page');
    await screen(page, 'meet-03-meeting');

    // The QR sheet for printing.
    const [dl] = await Promise.all([page.waitForEvent('download'),
        page.getByRole('button', {name: 'Ladda ner QR-bladet för utskrift (A4)'}).click()]);
    const file = path.join(lotsd.tmp, 'sheet.html');
    await dl.saveAs(file);
    const html = fs.readFileSync(file, 'utf8');
    check(html.startsWith('<!DOCTYPE html>') && html.includes(stored.evaluation_link) && html.includes('<svg'),
        'the downloaded A4 sheet carries the QR code and the link');

    // Editing the meeting.
    await page.getByText('Ändra träffen').click();
    await page.getByLabel('Plats').fill('Campus Roslagen, aulan');
    await page.getByRole('button', {name: 'Spara träffen'}).click();
    await page.locator('.facts dd', {hasText: 'Campus Roslagen, aulan'}).waitFor();
    check(true, 'the meeting is edited (If-Match)');

    // The company's page lists the meeting beside its cases.
    await timed(page, 'the company page', () => page.getByRole('link', {name: 'Roslagsvarvet Öst AB'}).click());
    await page.getByRole('heading', {name: 'Träffar som företaget deltagit i'}).waitFor();
    check(await page.getByRole('link', {name: 'Upphandlingsskola: så lämnar du anbud'}).count() === 1,
        'the company\'s page lists the meeting it attended');
    await screen(page, 'meet-04-company');

    // The same meeting on a phone.
    const phone = await newPage({viewport: {width: 390, height: 844}});
    await phone.goto(`${BASE}/`);
    await login(phone, 'lotta', 'lotta-lösen-1');
    await timed(phone, 'the meeting on a phone', () => phone.goto(`${BASE}/#/traff/${id}`));
    await phone.getByRole('heading', {name: 'Upphandlingsskola: så lämnar du anbud'}).waitFor();
    await narrow(phone, 'the meeting (lots)');
    await screen(phone, 'meet-05-phone-meeting');
    await timed(phone, 'the list on a phone', () => phone.goto(`${BASE}/#/traffar`));
    await narrow(phone, 'the list');
    await screen(phone, 'meet-06-phone-list');
    await timed(phone, 'a new meeting on a phone', () => phone.goto(`${BASE}/#/traff/ny`));
    await narrow(phone, 'the new meeting form');
    await logout(phone);

    // The arbetsgrupp's viewer: counts and the summary, never names or comments.
    await login(phone, 'vera', 'vera-lösen-1');
    await timed(phone, 'the list (viewer)', () => phone.getByRole('link', {name: 'Träffar'}).click());
    check(await phone.getByRole('link', {name: 'Ny träff'}).count() === 0, 'the viewer cannot register meetings');
    await timed(phone, 'the meeting (viewer)', () => phone.getByRole('link', {name: 'Upphandlingsskola: så lämnar du anbud'}).click());
    await phone.getByRole('heading', {name: 'Upphandlingsskola: så lämnar du anbud'}).waitFor();
    const text = await phone.locator('main').textContent();
    check(!text.includes('Roslagsvarvet') && !text.includes('Grisslehamns Kafé') && !text.includes('Kaffet tog slut')
        && !text.includes('LOU') && !text.includes('ramavtal'), 'the viewer sees no company name, comment or item text');
    check(/86 % av 7 svar/.test(text) && /2\s*företag/.test(text) && /3\s*deltagare/.test(text) && /1\s*uttryckta behov/.test(text),
        `the viewer sees the counts and the evaluation summary${process.env.LB_E2E_DEBUG ? text : ''}`);
    check(await phone.locator('main form').count() === 0, 'the viewer gets no forms');
    await narrow(phone, 'the meeting (viewer)');
    await screen(phone, 'meet-07-phone-viewer');
    await logout(phone);
});
