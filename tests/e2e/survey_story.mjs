// survey_story.mjs: a company answers the e-mail survey from its link (docs/surveys.md),
// as its contact person would: on a 390-px phone with JavaScript off (the form works
// without it), by keyboard, with the screen reader's names checked; again with
// JavaScript on; then the opt-out page and a link that does not work. axe-core must find
// no violation of any impact on any page, and no page may scroll sideways.
//
// The worker's part (the mail) is test_survey_mail.py's; here the survey is issued
// through the worker's own route with a token made by the story.

import crypto from 'node:crypto';
import {spawnSync} from 'node:child_process';
import * as h from './harness.mjs';

const PHONE = {width: 390, height: 844};

function newToken() {
    const token = crypto.randomBytes(32).toString('base64url');
    // lotsd stores BLAKE2b-256 of the token; node's crypto has no 256-bit BLAKE2b.
    const r = spawnSync('/usr/bin/python3', ['-c',
        'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest())',
        token], {encoding: 'utf8'});
    if (r.status !== 0) h.fatal(`hashing the token: ${r.stderr}`);
    return {token, hash: r.stdout.trim()};
}

function addDays(iso, n) {
    const d = new Date(`${iso}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
}

async function noSideScroll(page, what) {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    h.check(w <= PHONE.width, `${what}: no horizontal scroll at 390 px (${w} px wide)`);
}

const lotsd = await h.startLotsd();
const base = lotsd.base;

await h.finish(async () => {
    const admin = await h.token(base, 'admin', lotsd.adminPassword);
    await h.call(base, 'POST', '/users', admin, {username: 'anna.lots', password: 'anna-lösen-123', role: 'lots'});
    const lots = await h.token(base, 'anna.lots', 'anna-lösen-123');
    const svc = lotsd.serviceToken();
    const today = h.stockholmToday();

    // A closed case with a bygglov decision, its call, and the survey issued.
    let serial = 0;
    async function surveyed(name) {
        serial++;
        const co = await h.call(base, 'POST', '/companies', lots, {orgnr: h.luhnNine(`5566${String(10000 + serial)}`),
            name, contacts: [{name: 'Karin Öberg', phone: '0176-123 45', email: 'karin@example.se'}]});
        if (co.status !== 201) h.fatal(`company: ${co.status} ${JSON.stringify(co.json)}`);
        const c = await h.call(base, 'POST', '/cases', lots, {company_id: co.json.id, subject: 'Ny bageributik',
            category: 'establishment'});
        const ho = await h.call(base, 'POST', `/cases/${c.json.id}/handoffs`, lots, {unit: 'bygglov', note: 'Skylt'});
        await h.call(base, 'POST', `/cases/${c.json.id}/close`, lots, {outcome: 'resolved'});
        const f = await h.call(base, 'POST', '/followups', svc, {company_id: co.json.id, due: today, assignee: 'anna.lots',
            items: [{kind: 'lots', case_id: c.json.id}, {kind: 'unit', case_id: c.json.id, handoff_id: ho.json.id}]},
        {'Idempotency-Key': `story-${serial}`});
        if (f.status !== 201) h.fatal(`followup: ${f.status} ${JSON.stringify(f.json)}`);
        const t = newToken();
        const r = await h.call(base, 'POST', '/surveys/issue', svc, {items: [{followup_id: f.json.id, reminder: 0,
            token_hash: t.hash, call_from: addDays(today, 20)}]});
        h.check(r.status === 200 && r.json.items[0].verdict === 'send', `${name}: survey issued`);
        return {followup: f.json.id, token: t.token, company: name, caseNumber: c.json.number};
    }

    // --- a phone, JavaScript off: the whole answer, by keyboard ----------------------
    // (page.evaluate needs JavaScript, so axe-core and the measurements run on the same
    // pages with it on, below: the HTML is the server's either way.)
    const a = await surveyed('Kvarnbackens Bageri AB');
    let page = await h.newPage({viewport: PHONE, javaScriptEnabled: false});
    const shot = name => page.screenshot({path: `${h.SHOTS}/${name}.png`, fullPage: true});
    await page.goto(`${base}/enkat/${a.token}`);
    await page.getByRole('heading', {level: 1, name: 'Hur var kommunens service?'}).waitFor();
    h.check(await page.getByText(a.company).count() > 0, 'the form names the company');
    h.check(await page.getByText('Karin').count() === 0 && await page.getByText('0176').count() === 0,
        'the form shows no contact person and no phone number');
    await shot('survey-form-390-nojs');
    const q1 = page.getByRole('group', {name: /Fråga 1: Hur nöjd är du med möjligheten att komma i kontakt/});
    h.check(await q1.count() === 1, 'each question is a group named by its legend (screen readers)');
    h.check(await q1.getByRole('radio', {name: '1 mycket missnöjd'}).count() === 1 &&
        await q1.getByRole('radio', {name: '6 mycket nöjd'}).count() === 1 &&
        await q1.getByRole('radio', {name: 'Vet ej'}).count() === 1, 'the scale\'s ends are named for screen readers');
    h.check(await page.getByRole('group').count() === 15, 'fifteen questions: five on the lots, ten on bygglov');
    const label = await page.locator('label.opt').first().boundingBox();
    h.check(label.height >= 44 && label.width >= 44,
        `answer targets at least 44 px (${Math.round(label.width)}×${Math.round(label.height)})`);

    // Submitting nothing: the error comes back at the top, by keyboard alone.
    await page.getByRole('button', {name: 'Skicka svaren'}).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', {name: 'Svaren kunde inte skickas'}).waitFor();
    h.check((await page.title()).startsWith('Fel: '), 'the title says there is an error');
    h.check(await page.getByRole('alert').count() === 1, 'the error summary is an alert');
    await shot('survey-error-390-nojs');

    // Answer with the keyboard: the summary's link leads to the question, arrows choose.
    await page.getByRole('link', {name: /Du har inte svarat på någon fråga/}).press('Enter');
    await q1.getByRole('radio', {name: '1 mycket missnöjd'}).focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    h.check(await q1.getByRole('radio', {name: '5'}).isChecked(), 'arrow keys choose within a question');
    await page.getByRole('group', {name: /Var det enkelt att komma i kontakt/}).getByRole('radio', {name: 'Ja'}).focus();
    await page.keyboard.press('Space');
    await page.getByRole('group', {name: /Fråga 6: Hur nöjd är du sammantaget/}).getByRole('radio', {name: '4'}).check();
    await page.getByRole('group', {name: /Fråga 15: Var handläggningen tydlig/}).getByRole('radio', {name: 'Vet ej'}).check();
    await page.getByLabel('Vill du lägga till något? (frivilligt)').fill('Snabbt och vänligt bemötande.');
    await page.getByRole('button', {name: 'Skicka svaren'}).press('Enter');
    await page.getByRole('heading', {name: 'Tack för dina svar!'}).waitFor();
    await shot('survey-thanks-390-nojs');
    let f = await h.call(base, 'GET', `/followups/${a.followup}`, lots);
    h.check(f.json.status === 'done' && f.json.channel === 'email' && f.json.survey.status === 'answered',
        'without JavaScript: the call is recorded done, by e-mail');
    h.check(f.json.answers.lots.reached_right_person === 5 && f.json.answers.lots.easy_contact === true &&
        f.json.answers.bygglov.nki_overall === 4 && f.json.answers.bygglov.clear_and_lawful === null,
        'the answers are stored as given');
    await page.context().close();

    // --- a phone, JavaScript on: axe-core on every page, no sideways scroll -------------
    page = await h.newPage({viewport: PHONE});
    await page.goto(`${base}/enkat/${a.token}`);
    await page.getByRole('heading', {name: 'Enkäten är redan besvarad'}).waitFor();
    await h.screen(page, 'survey-answered-390', {impact: 'minor'});
    await noSideScroll(page, 'the answered page');
    const b = await surveyed('Bryggeriet i Hallstavik AB');
    await page.goto(`${base}/enkat/${b.token}`);
    await h.screen(page, 'survey-form-390', {impact: 'minor'});
    await noSideScroll(page, 'the form');
    await page.getByRole('button', {name: 'Skicka svaren'}).click();
    await page.getByRole('heading', {name: 'Svaren kunde inte skickas'}).waitFor();
    h.check(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('errors')),
        'the error summary has the focus (autofocus)');
    await h.screen(page, 'survey-error-390', {impact: 'minor'});
    await page.screenshot({path: `${h.SHOTS}/survey-error-390-top.png`}); // what the phone shows first
    await noSideScroll(page, 'the form with its error');
    await page.getByRole('group', {name: /Fråga 3: Hur nöjd är du med den nytta/}).getByRole('radio', {name: '6 mycket nöjd'}).check();
    await page.getByRole('button', {name: 'Skicka svaren'}).click();
    await page.getByRole('heading', {name: 'Tack för dina svar!'}).waitFor();
    await h.screen(page, 'survey-thanks-390', {impact: 'minor'});
    await noSideScroll(page, 'the thank-you page');
    f = await h.call(base, 'GET', `/followups/${b.followup}`, lots);
    h.check(f.json.status === 'done' && f.json.answers.lots.usefulness === 6, 'answered with JavaScript on too');
    await page.context().close();

    // --- opting out in one click, and a link that does not work ------------------------
    const c = await surveyed('Café Strandvägen AB');
    page = await h.newPage({viewport: PHONE, javaScriptEnabled: false});
    await page.goto(`${base}/enkat/${c.token}`);
    await page.getByRole('link', {name: 'Avregistrera dig från enkäterna'}).click();
    await page.getByRole('heading', {name: 'Avregistrera dig från enkäterna'}).waitFor();
    await page.getByRole('button', {name: 'Avregistrera mig'}).click();
    await page.getByRole('heading', {name: 'Du är avregistrerad'}).waitFor();
    const st = await h.call(base, 'GET', `/followups/${c.followup}`, lots);
    h.check(st.json.survey.status === 'opted_out', 'the opt-out is recorded in one click, without JavaScript');
    await page.context().close();
    const e = await surveyed('Glasbruket i Herräng AB');
    page = await h.newPage({viewport: PHONE});
    await page.goto(`${base}/enkat/${e.token}/avregistrera`);
    await h.screen(page, 'survey-optout-390', {impact: 'minor'});
    await noSideScroll(page, 'the opt-out page');
    await page.getByRole('button', {name: 'Avregistrera mig'}).click();
    await page.getByRole('heading', {name: 'Du är avregistrerad'}).waitFor();
    await h.screen(page, 'survey-optedout-390', {impact: 'minor'});
    await page.goto(`${base}/enkat/${newToken().token}`);
    await page.getByRole('heading', {name: 'Länken fungerar inte'}).waitFor();
    await h.screen(page, 'survey-unknown-390', {impact: 'minor'});
    await noSideScroll(page, 'the unknown-link page');
    await page.context().close();

    // --- the form at 1280 px --------------------------------------------------------------
    const g = await surveyed('Roslagsmejeriet AB');
    page = await h.newPage();
    await page.goto(`${base}/enkat/${g.token}`);
    await h.screen(page, 'survey-form-1280', {impact: 'minor'});
    await page.screenshot({path: `${h.SHOTS}/survey-form-1280-top.png`});
    await page.context().close();

    // --- the staff's follow-up screen says the call waits for an e-mail answer -------
    const d = await surveyed('Borttappade AB');
    page = await h.newPage();
    await page.goto(`${base}/`);
    await h.login(page, 'anna.lots', 'anna-lösen-123');
    await page.goto(`${base}/#/uppfoljning/${d.followup}`);
    await page.locator('#survey-state').waitFor();
    const text = await page.locator('#survey-state').textContent();
    h.check(/Väntar på svar på e-postenkät/.test(text) && /slutar länken/.test(text),
        `the follow-up screen says it waits for the e-mail answer: ${text}`);
    await h.screen(page, 'survey-staff-followup', {impact: 'serious'});
});
