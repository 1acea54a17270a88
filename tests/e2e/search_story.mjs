// search_story.mjs: the header's search box (issue 24's web door, docs/web.md) on the
// demo data. The lots finds the Grisslehamn records by a word, grouped by type; "/"
// focuses the box from any screen; ↓/↑ walk the hits and Enter opens one; one API
// request per search; 390 px without overflow; axe-core clean (no violation of any
// impact) at both widths and in dark mode; "Visa fler träffar" pages; a bygglov
// handler sees only what lotsd's scoping gives them (the screen shows exactly the
// API's answer for their token, fewer companies than the lots); the arbetsgrupp
// (viewer, whom GET /search refuses) has no box.

import {call, check, finish, login, newPage, overflow, screen, startLotsd, timedScreen, token} from './harness.mjs';

const lotsd = await startLotsd({demo: true});
const BASE = lotsd.base;
const pw = u => lotsd.logins[u];

// The hits on the screen, per group: {company: [href…], case: […], …}.
async function shown(page) {
    return page.evaluate(() => {
        const out = {};
        for (const s of document.querySelectorAll('main section[id^="hits-"]'))
            out[s.id.slice(5)] = [...s.querySelectorAll('.hits > li > a')].map(a => a.getAttribute('href'));
        return out;
    });
}

async function search(page, words) {
    await page.keyboard.press('Escape'); // out of any field, so '/' is the shortcut
    await page.locator('main h1').first().focus();
    await page.keyboard.press('/');
    check(await page.evaluate(() => document.activeElement.id) === 'sok', `"/" focuses the search box (${words})`);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(words);
    return timedScreen(page, () => page.keyboard.press('Enter'));
}

await finish(async () => {
    const annaTok = await token(BASE, 'anna.lots', pw('anna.lots'));
    const bygTok = await token(BASE, 'bygglov.handl', pw('bygglov.handl'));
    const api = async (tok, q) => (await call(BASE, 'GET', `/search?q=${encodeURIComponent(q)}&limit=50`, tok)).json;

    // --- the lots, 1280 px ------------------------------------------------------------
    const page = await newPage();
    await page.goto(`${BASE}/`);
    await login(page, 'anna.lots', pw('anna.lots'));
    for (const r of ['', 'foretag', 'inkorg', 'kvartal', 'forbattringar', 'handledning', 'plan']) {
        await page.evaluate(p => { location.hash = `#/${p}`; }, r);
        await page.waitForFunction(() => !document.getElementById('main').hasAttribute('aria-busy'));
        check(await page.getByRole('search', {name: 'Sök i Lotsbok'}).count() === 1, `the search box is in the header on #/${r}`);
    }
    await page.evaluate(() => { location.hash = '#/'; });
    await page.getByRole('heading', {name: 'Min dag'}).waitFor();

    const t = await search(page, 'grisslehamn');
    const want = await api(annaTok, 'grisslehamn');
    const groups = await shown(page);
    check(t.requests.length === 1 && t.requests[0].startsWith('GET /search?q=grisslehamn'),
        `a search is one API request (${t.requests.join(', ')})`);
    check((groups.company || []).length > 0 && (groups.case || []).length > 0,
        `"grisslehamn" finds companies and cases (${Object.entries(groups).map(([k, v]) => `${k} ${v.length}`).join(', ')})`);
    check(Object.entries(groups).every(([type, hrefs]) => hrefs.every(x =>
        x.startsWith({company: '#/foretag/', case: '#/arende/', contact: '#/arende/', handoff: '#/overlamning/'}[type]))),
    'each group holds hits of its own type only');
    const order = await page.locator('main section[id^="hits-"] h2').allInnerTexts();
    check(order[0].startsWith('Företag') && order[1].startsWith('Ärenden'), `grouped under headings (${order.join(' | ')})`);
    check(want.items.filter(i => i.type === 'company').map(i => `#/foretag/${i.id}`).join() === groups.company.join(),
        'the companies are those of the API, in its order (best first)');
    check(await page.locator('main mark').first().innerText().then(x => /grisslehamn/i.test(x)), 'the matched word is marked in the snippet');
    check(await page.evaluate(() => document.getElementById('sok').value) === 'grisslehamn', 'the box keeps the words');
    await screen(page, 'search-lots-1280', {impact: 'minor'});

    // Keyboard: ↓ from the box to the first hit, ↓ to the next, ↑ back, Enter opens it.
    await page.locator('#sok').focus();
    await page.keyboard.press('ArrowDown');
    const first = await page.evaluate(() => document.activeElement.getAttribute('href'));
    check(first === groups.company[0], `↓ from the box goes to the first hit (${first})`);
    await page.keyboard.press('ArrowDown');
    const second = await page.evaluate(() => document.activeElement.getAttribute('href'));
    check(second === (groups.company[1] || groups.case[0]), `↓ again goes to the next hit (${second})`);
    await page.keyboard.press('ArrowUp');
    check(await page.evaluate(() => document.activeElement.getAttribute('href')) === first, '↑ goes back');
    await page.keyboard.press('ArrowUp');
    check(await page.evaluate(() => document.activeElement.id) === 'sok', '↑ from the first hit goes back to the box');
    await page.keyboard.press('ArrowDown');
    await timedScreen(page, () => page.keyboard.press('Enter'));
    check(await page.evaluate(() => location.hash) === first, 'Enter on a hit opens it');

    // A word with more hits than a page: "Visa fler träffar" brings the next ones.
    await search(page, 'bygglov');
    const n0 = await page.locator('main .hits > li').count();
    check(n0 === 50 && await page.getByRole('button', {name: 'Visa fler träffar'}).count() === 1,
        `"bygglov": the first 50 hits and "Visa fler träffar" (${n0})`);
    check(await page.locator('#hits-handoff h2').innerText().then(x => x.startsWith('Överlämningar')), 'hand-offs have their own group');
    await page.getByRole('button', {name: 'Visa fler träffar'}).click();
    await page.waitForFunction(n => document.querySelectorAll('main .hits > li').length > n, n0);
    check(await page.locator('main .hits > li').count() > n0, 'the next page is added');
    check((await page.locator('main .list-count').innerText()).includes('träffar'), 'the count says träffar');

    // Nothing found: said so, in Swedish.
    await search(page, 'xyzzyqq');
    check((await page.locator('main').innerText()).includes('Inga träffar för "xyzzyqq"'), 'no hit: "Inga träffar"');
    await page.context().close();

    // --- 390 px and dark mode -----------------------------------------------------------
    for (const [opts, name] of [[{viewport: {width: 390, height: 844}}, 'search-lots-390'], [{colorScheme: 'dark'}, 'search-lots-dark']]) {
        const p = await newPage(opts);
        await p.goto(`${BASE}/`);
        await login(p, 'anna.lots', pw('anna.lots'));
        await p.waitForLoadState('networkidle');
        check(await overflow(p) <= 0, `${name}: Min dag with the search box, no horizontal overflow (${await overflow(p)} px)`);
        await search(p, 'båt');
        check(((await shown(p)).company || []).length > 0, `${name}: "båt" finds the boatyards`);
        check(await overflow(p) <= 0, `${name}: results, no horizontal overflow (${await overflow(p)} px)`);
        const box = await p.locator('#sok').boundingBox();
        check(box.x >= 0 && box.x + box.width <= (opts.viewport ? 390 : 1280), `${name}: the box is inside the window`);
        await screen(p, name, {impact: 'minor'});
        await p.context().close();
    }

    // --- a bygglov handler: lotsd's scoping, shown as it is ----------------------------------
    const hp = await newPage();
    await hp.goto(`${BASE}/`);
    await login(hp, 'bygglov.handl', pw('bygglov.handl'));
    const ht = await search(hp, 'grisslehamn');
    const hgroups = await shown(hp);
    const hwant = await api(bygTok, 'grisslehamn');
    check(ht.requests.length === 1, `handler: one request (${ht.requests.join(', ')})`);
    check(hwant.items.filter(i => i.type === 'company').map(i => `#/foretag/${i.id}`).join() === (hgroups.company || []).join(),
        'handler: the companies shown are exactly those lotsd gives the handler');
    check((hgroups.company || []).length < groups.company.length,
        `handler: fewer companies than the lots (${(hgroups.company || []).length} < ${groups.company.length})`);
    const hidden = groups.company.find(x => !(hgroups.company || []).includes(x));
    check(hidden && (await call(BASE, 'GET', `/companies/${hidden.split('/').pop()}`, bygTok)).status === 404,
        'handler: a company left out is one the handler may not open (404, docs/api.md "Scoping")');
    await screen(hp, 'search-handler-1280', {impact: 'minor'});
    await hp.context().close();

    // --- the arbetsgrupp: no box (GET /search is 403 for a viewer) ---------------------------
    const vp = await newPage();
    await vp.goto(`${BASE}/`);
    await login(vp, 'arbetsgrupp', pw('arbetsgrupp'));
    await vp.waitForLoadState('networkidle');
    check(await vp.getByRole('search').count() === 0, 'viewer: no search box');
    await vp.evaluate(() => { location.hash = '#/sok/bygglov'; });
    await vp.getByRole('heading', {name: 'Ingen behörighet'}).waitFor();
    check(true, 'viewer: #/sok says Ingen behörighet');
    await vp.context().close();
});
