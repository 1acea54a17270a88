// plan_story.mjs: the action plan in the browser (web/views/plan.mjs), as its users
// meet it. Näringslivsenheten's Lotta opens Handlingsplan, filters it, follows up
// action 4.1 for the year with the keyboard (status, results, a manual figure) and
// downloads the annual report to kommunstyrelsen as HTML and Excel; the procurement
// handler on a phone (390 px) may write the follow-up of 1.4, not of 4.1; the
// arbetsgrupp's viewer reads. Every screen is checked with axe-core and saved under
// tests/e2e/screenshots/plan-*.png.

import fs from 'node:fs';
import path from 'node:path';
import {spawnSync} from 'node:child_process';
import {BUILD, SRC, call, check, fatal, finish, login, logout, newPage, screen, startLotsd} from './harness.mjs';

const PLAN = path.join(SRC, 'data', 'plan-norrtalje-2025-2030.json');
const lotsd = await startLotsd({setup: (data, env) => {
    const r = spawnSync(path.join(BUILD, 'lotsd'), ['plan', 'load', '--data', data, PLAN], {env, encoding: 'utf8'});
    if (r.status !== 0) fatal(`lotsd plan load: ${r.stderr}`);
}});
const BASE = lotsd.base;
const YEAR = new Date().getFullYear() < 2025 ? 2025 : Math.min(new Date().getFullYear(), 2030);

async function noHorizontalScroll(page, what) {
    const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(sw <= w, `${what}: no horizontal scroll (${sw} <= ${w})`);
}

await finish(async () => {
    const admin = (await call(BASE, 'POST', '/sessions', null, {username: 'admin', password: lotsd.adminPassword})).json.token;
    for (const u of [{username: 'lotta', password: 'lotta-lösen-1', role: 'lots'},
        {username: 'ulla', password: 'ulla-lösen-1', role: 'handler', units: ['upphandling']},
        {username: 'vera', password: 'vera-lösen-1', role: 'viewer'}]) {
        const r = await call(BASE, 'POST', '/users', admin, u);
        if (r.status !== 201) fatal(`create user ${u.username}: ${r.status}`);
    }
    const r = await call(BASE, 'PUT', `/plan/actions/1.1/followups/${YEAR}`, admin, {status: 'ongoing'});
    if (r.status !== 201) fatal(`follow-up of 1.1: ${r.status}`);

    // Lotta: the plan, its filters.
    const page = await newPage();
    await page.goto(`${BASE}/`);
    await login(page, 'lotta', 'lotta-lösen-1');
    await page.getByRole('link', {name: 'Handlingsplan'}).click();
    await page.getByRole('heading', {name: 'Handlingsplan 2025–2030'}).waitFor();
    check(await page.locator('section.area h2').count() === 6, 'six målområden');
    check(await page.locator('.plan-list a').count() === 17, 'seventeen actions');
    const first = page.locator('.plan-list li').first();
    check((await first.textContent()).includes('Pågående'), 'action 1.1 carries its status badge for the year');
    await screen(page, 'plan-01-overview');
    await page.getByLabel('Status').selectOption('none');
    await page.getByText('16 av 17 åtgärder visas.').waitFor();
    check(true, 'filtering by status: the sixteen actions not yet followed up');
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Ansvarig enhet').selectOption('upphandling');
    await page.getByText('2 av 17 åtgärder visas.').waitFor();
    check(await page.locator('.plan-list a', {hasText: '1.4 '}).count() === 1, 'filtering by unit: upphandling has 1.2 and 1.4');
    await page.getByLabel('Ansvarig enhet').selectOption('');

    // The keyboard to action 4.1 and its follow-up.
    const link = page.getByRole('link', {name: /^4\.1 /});
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', {name: /^4\.1 Underlätta/}).waitFor();
    check(await page.locator('svg.pchart').count() === 0, 'no chart before there is a figure');
    await page.getByLabel('Status').focus();
    await page.getByLabel('Status').selectOption('completed');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Fler individer har fått jobb med stöd.');
    await page.getByLabel(/^4\.1-1 Antal individer i jobb och utvecklingsgarantin/).fill('371');
    await page.getByLabel('Samverkan med andra åtgärder').fill('4.4, 6.2');
    await page.getByRole('button', {name: 'Spara uppföljningen'}).click();
    await page.locator('.pstatus', {hasText: 'Genomförd'}).first().waitFor();
    const row = page.locator('tr', {hasText: '4.1-1 Antal individer'}).first();
    check((await row.textContent()).includes('371'), 'the figure entered is the year\'s value');
    check(await page.locator('svg.pchart').count() >= 1, 'a chart across the years once there is a figure');
    check(await page.getByLabel('Resultat och måluppfyllelse').inputValue() === 'Fler individer har fått jobb med stöd.',
        'the results are kept');
    await screen(page, 'plan-02-action');
    const stored = await call(BASE, 'GET', `/plan/actions/4.1/followups/${YEAR}`, admin);
    check(stored.status === 200 && stored.json.status === 'completed' &&
        JSON.stringify(stored.json.collaboration) === '["4.4","6.2"]', 'the follow-up is stored with its collaboration');

    // The annual report: HTML and Excel downloads.
    await page.goto(`${BASE}/#/plan/rapport/${YEAR}`);
    await page.getByRole('heading', {name: `Årsrapport ${YEAR} till kommunstyrelsen`}).waitFor();
    await screen(page, 'plan-03-report');
    for (const [name, ext] of [['Ladda ner tabellerna (Excel)', 'xlsx'], ['Ladda ner rapporten (HTML, för utskrift)', 'html']]) {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', {name}).click()]);
        const file = path.join(lotsd.tmp, `report.${ext}`);
        await dl.saveAs(file);
        const head = fs.readFileSync(file).subarray(0, 15).toString('latin1');
        check(dl.suggestedFilename() === `årsrapport-${YEAR}.${ext}` &&
            (ext === 'xlsx' ? head.startsWith('PK') : head.startsWith('<!DOCTYPE html>')),
        `the ${ext} download is the report (${dl.suggestedFilename()})`);
    }
    await logout(page);

    // The procurement handler on a phone.
    const phone = await newPage({viewport: {width: 390, height: 844}});
    await phone.goto(`${BASE}/`);
    await login(phone, 'ulla', 'ulla-lösen-1');
    await phone.goto(`${BASE}/#/plan/${YEAR}`);
    await phone.getByRole('heading', {name: 'Handlingsplan 2025–2030'}).waitFor();
    // A handler starts with the actions of their units (1.2 and 1.4 name upphandling).
    await phone.getByText('2 av 17 åtgärder visas.').waitFor();
    check(await phone.getByRole('link', {name: /^1\.4 /}).count() === 1 &&
        await phone.getByRole('link', {name: /^4\.1 /}).count() === 0,
        "the handler's plan starts with their units' actions");
    await noHorizontalScroll(phone, 'the plan at 390 px');
    await screen(phone, 'plan-04-phone-overview');
    await phone.goto(`${BASE}/#/plan/atgard/1.4/${YEAR}`);
    await phone.getByRole('heading', {name: /^1\.4 /}).waitFor();
    check(await phone.getByRole('button', {name: 'Spara uppföljningen'}).count() === 1,
        'a handler may follow up an action of their unit');
    await noHorizontalScroll(phone, 'action 1.4 at 390 px');
    await screen(phone, 'plan-05-phone-action');
    await phone.goto(`${BASE}/#/plan/atgard/4.1/${YEAR}`);
    await phone.getByRole('heading', {name: /^4\.1 /}).waitFor();
    check(await phone.getByRole('button', {name: 'Spara uppföljningen'}).count() === 0,
        'but not one of another unit\'s');
    check(await phone.getByText('Fler individer har fått jobb med stöd.').count() === 1, 'the handler reads 4.1\'s results');
    await logout(phone);

    // The viewer reads.
    await phone.goto(`${BASE}/`);
    await login(phone, 'vera', 'vera-lösen-1');
    await phone.getByRole('link', {name: 'Handlingsplan'}).click();
    await phone.getByRole('heading', {name: 'Handlingsplan 2025–2030'}).waitFor();
    await phone.goto(`${BASE}/#/plan/rapport/${YEAR}`);
    await phone.getByRole('heading', {name: `Årsrapport ${YEAR} till kommunstyrelsen`}).waitFor();
    await noHorizontalScroll(phone, 'the report screen at 390 px');
    await screen(phone, 'plan-06-phone-report');
});
