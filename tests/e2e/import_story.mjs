// import_story.mjs: "Importera företag" (#/importera, issue 27's web door, docs/web.md).
// A lots chooses a small CSV (UTF-8 with BOM, ';', an unknown column), the dry run's
// table shows every row — new company, empty fields filled, unchanged, failed with
// line, column and the reason in Swedish — and nothing is saved; the filter shows the
// failing rows; "Importera" (keyboard) saves, and the companies are found through the
// answer's links and the Företag search. At 390 px the administrator imports another
// file without horizontal overflow, and the same file again changes nothing (no
// button). A file without an orgnr column is refused next to the field. A handler has
// no menu item and no access. axe-core: no violation of any impact at either width.

import {ADMIN_PW, call as hcall, check, fatal, finish, login, luhnNine, newPage, overflow, screen, startLotsd,
    timedScreen} from './harness.mjs';

const lotsd = await startLotsd();
const BASE = lotsd.base;
const call = (...a) => hcall(BASE, ...a);
async function ok(r, what) {
    if (r.status < 200 || r.status > 299) fatal(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
}
const nr = n => luhnNine(`5599${String(process.pid % 100).padStart(2, '0')}${String(n).padStart(3, '0')}`);
const dash = o => `${o.slice(0, 6)}-${o.slice(6)}`;
const BAD = (() => { const o = nr(9); return o.slice(0, 9) + String((Number(o[9]) + 1) % 10); })();

// The dry run's (or the import's) rows as the table shows them: {Rad: …, Utfall: …}.
async function rows(page) {
    return page.evaluate(() => [...document.querySelectorAll('#import-result tbody tr')].map(tr =>
        Object.fromEntries([...tr.cells].map(td => [td.dataset.label, td.innerText.trim()]))));
}
async function choose(page, name, text) {
    await page.getByLabel('Fil med företag (CSV eller XLSX)').setInputFiles({name, mimeType: 'text/csv',
        buffer: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])});
}
async function press(page, locator) { // the keyboard, as a user without a mouse does
    await locator.focus();
    await page.keyboard.press('Enter');
}
async function companies(tok, q) {
    return (await ok(await call('GET', `/companies?q=${encodeURIComponent(q)}&limit=50`, tok), `search ${q}`)).items;
}

await finish(async () => {
    const admin = (await ok(await call('POST', '/sessions', null, {username: 'admin', password: ADMIN_PW}), 'admin')).token;
    await ok(await call('POST', '/users', admin, {username: 'lotta', password: 'lotta-lösen-1', role: 'lots',
        display_name: 'Lotta Lind'}), 'lotta');
    await ok(await call('POST', '/users', admin, {username: 'bengt', password: 'bengt-lösen-1', role: 'handler',
        units: ['bygglov'], display_name: 'Bengt Berg'}), 'bengt');
    const lots = (await ok(await call('POST', '/sessions', null, {username: 'lotta', password: 'lotta-lösen-1'}), 'login')).token;
    // In the register already: one without a locality (the file fills it), one as the file has it.
    const known = await ok(await call('POST', '/companies', lots, {orgnr: nr(1), name: 'Hallstaviks Importhus AB'}), 'A');
    await ok(await call('POST', '/companies', lots, {orgnr: nr(2), name: 'Rimbo Importlager AB', locality: 'Rimbo'}), 'B');
    const csv = [
        'Organisationsnummer;Företagsnamn;Ort;Kontaktperson;Telefon;Anställda',
        `${dash(nr(3))};Roslagens Importbageri AB;Norrtälje;Åsa Öberg;0176-1000;12`,
        `${nr(4)};Väddö Importvarv AB;Väddö;;;3`,
        `${dash(nr(1))};Hallstaviks Importhus AB;Hallstavik;;;5`,
        `${dash(BAD)};Felräknade AB;Norrtälje;;;1`,
        `${nr(5)};;Älmsta;;;`,
        `${nr(2)};Rimbo Importlager AB;Rimbo;;;2`,
    ].join('\r\n') + '\r\n';

    // --- the lots, 1280 px --------------------------------------------------------------
    const page = await newPage();
    await page.goto(`${BASE}/`);
    await login(page, 'lotta', 'lotta-lösen-1');
    const menu = page.getByRole('navigation', {name: 'Huvudmeny'}).getByRole('link', {name: 'Importera'});
    check(await menu.count() === 1, 'the lots has "Importera" in the menu');
    const t = await timedScreen(page, () => menu.click());
    check(t.requests.length === 0, `the screen asks nothing of the API when shown (${t.requests.join(', ')})`);
    await page.getByRole('heading', {level: 1, name: 'Importera företag'}).waitFor();
    check(await page.evaluate(() => document.activeElement.type) === 'file', 'the file field has the focus');
    await screen(page, 'import-empty-1280', {impact: 'minor'});

    // No file: said next to the field.
    await press(page, page.getByRole('button', {name: 'Provkör importen'}));
    check(await page.locator('main .field-msg').first().innerText() === 'Välj en fil att importera.',
        'no file chosen: "Välj en fil att importera."');

    await choose(page, 'foretag.csv', csv);
    await press(page, page.getByRole('button', {name: 'Provkör importen'}));
    const h2 = page.getByRole('heading', {level: 2, name: 'Provkörning av foretag.csv'});
    await h2.waitFor();
    check(await page.evaluate(() => document.activeElement.id) === 'imp-h', 'the dry run\'s heading gets the focus');
    const dry = await rows(page);
    const at = (list, line) => list.find(r => r.Rad === String(line)) || {};
    check(dry.length === 6, `the table has every data row (${dry.length})`);
    check(at(dry, 2).Utfall === 'Nytt företag' && at(dry, 2).Organisationsnummer === nr(3), `line 2: new (${JSON.stringify(at(dry, 2))})`);
    check(at(dry, 3).Utfall === 'Nytt företag', 'line 3: new (orgnr without a dash)');
    check(at(dry, 4).Utfall === 'Tomma fält fylls i: Ort', `line 4: the empty locality is filled (${at(dry, 4).Utfall})`);
    check(at(dry, 5).Utfall.startsWith('Fel') && at(dry, 5).Kolumn === 'Organisationsnummer' &&
        at(dry, 5).Fel.includes('Kontrollsiffran') && at(dry, 5).Fel.includes('invalid_orgnr_checksum'),
    `line 5: failed, column Organisationsnummer, the check digit in Swedish (${JSON.stringify(at(dry, 5))})`);
    check(at(dry, 6).Kolumn === 'Företagsnamn' && at(dry, 6).Fel.startsWith('Företagsnamnet saknas.'),
        `line 6: failed, no name (${JSON.stringify(at(dry, 6))})`);
    check(at(dry, 7).Utfall === 'Oförändrat', 'line 7: unchanged');
    const main = await page.locator('main').innerText();
    check(main.includes('Anställda') && main.includes('inte läses in'), 'the unknown column is named');
    check(main.includes('Inget är sparat ännu'), 'the dry run says nothing is saved');
    check((await companies(lots, 'Roslagens Importbageri')).length === 0, 'the dry run saved nothing');
    check(await overflow(page) <= 0, 'dry run at 1280 px: no horizontal overflow');
    await screen(page, 'import-dry-1280', {impact: 'minor'});

    await page.getByLabel('Visa').selectOption('failed');
    const failing = await rows(page);
    check(failing.length === 2 && failing.every(r => r.Utfall.startsWith('Fel')), `the filter shows the 2 failing rows (${failing.length})`);
    await page.getByLabel('Visa').selectOption('');

    const go = page.getByRole('button', {name: /^Importera 2 nya företag och fyll i tomma fält \(1 rad\)$/});
    check(await go.count() === 1, 'the confirm button says what will happen');
    await press(page, go);
    await page.getByRole('heading', {level: 2, name: 'Importen av foretag.csv är klar'}).waitFor();
    const done = await rows(page);
    check(at(done, 2).Utfall === 'Skapat' && at(done, 4).Utfall === 'Tomma fält ifyllda: Ort', 'the import\'s rows: created, filled');
    const bageri = await companies(lots, 'Roslagens Importbageri');
    check(bageri.length === 1 && bageri[0].locality === 'Norrtälje', 'the new company is in the register');
    const hall = await ok(await call('GET', `/companies/${known.id}`, lots), 'A again');
    check(hall.locality === 'Hallstavik', 'the known company\'s empty locality is filled');
    check(await page.getByRole('button', {name: /^Importera/}).count() === 0, 'no confirm button after the import');
    await screen(page, 'import-done-1280', {impact: 'minor'});
    // The answer's link opens the company; the Företag search finds the other.
    await timedScreen(page, () => page.getByRole('link', {name: nr(3)}).click());
    await page.getByRole('heading', {level: 1, name: 'Roslagens Importbageri AB'}).waitFor();
    check((await page.locator('main').innerText()).includes('Åsa Öberg'), 'the imported contact person is on the company\'s page');
    await timedScreen(page, () => page.evaluate(() => { location.hash = '#/foretag'; }));
    await page.getByLabel('Namn eller organisationsnummer').fill('väddö import');
    await page.getByRole('button', {name: 'Sök', exact: true}).click();
    await page.getByRole('link', {name: 'Väddö Importvarv AB'}).waitFor();
    check(true, 'the Företag search finds the imported "Väddö Importvarv AB"');
    await page.context().close();

    // --- the administrator, 390 px ----------------------------------------------------
    const phone = await newPage({viewport: {width: 390, height: 844}});
    await phone.goto(`${BASE}/`);
    await login(phone, 'admin', ADMIN_PW);
    await timedScreen(phone, () => phone.getByRole('navigation', {name: 'Huvudmeny'}).getByRole('link', {name: 'Importera'}).click());
    await phone.getByRole('heading', {level: 1, name: 'Importera företag'}).waitFor();
    check(await overflow(phone) <= 0, 'empty screen at 390 px: no horizontal overflow');
    await screen(phone, 'import-empty-390', {impact: 'minor'});
    const csv2 = ['Orgnr;Namn;Postort;Kontaktperson;Roll;E-post',
        `${nr(6)};Grisslehamns Importrökeri med ett mycket långt företagsnamn AB;Grisslehamn;Märta Holm;VD;marta.holm@importrokeri.example`,
        `${nr(7)};Söderby Importsnickeri AB;Söderby;;;`,
        `${nr(8)};Ekström Import (enskild firma);Rimbo;;Ägare;`].join('\n') + '\n';
    await choose(phone, 'fler-foretag.csv', csv2);
    await press(phone, phone.getByRole('button', {name: 'Provkör importen'}));
    await phone.getByRole('heading', {level: 2, name: 'Provkörning av fler-foretag.csv'}).waitFor();
    const d2 = await rows(phone);
    check(at(d2, 4).Kolumn === 'Roll' || at(d2, 4).Kolumn === 'Kontaktperson', `a role without a person fails (${JSON.stringify(at(d2, 4))})`);
    check(await overflow(phone) <= 0, `dry run at 390 px: no horizontal overflow (${await overflow(phone)} px)`);
    await screen(phone, 'import-dry-390', {impact: 'minor'});
    await press(phone, phone.getByRole('button', {name: /^Importera 2 nya företag$/}));
    await phone.getByRole('heading', {level: 2, name: 'Importen av fler-foretag.csv är klar'}).waitFor();
    check(await overflow(phone) <= 0, 'import at 390 px: no horizontal overflow');
    await screen(phone, 'import-done-390', {impact: 'minor'});
    check((await companies(admin, 'Söderby Importsnickeri')).length === 1, 'the admin\'s import is in the register');
    // The same file again: nothing to do, no button.
    await choose(phone, 'fler-foretag.csv', csv2);
    check(await phone.locator('#import-result').innerText() === '', 'choosing another file drops the result shown');
    await press(phone, phone.getByRole('button', {name: 'Provkör importen'}));
    await phone.getByRole('heading', {level: 2, name: 'Provkörning av fler-foretag.csv'}).waitFor();
    check((await phone.locator('main').innerText()).includes('Filen ändrar ingenting i registret') &&
        await phone.getByRole('button', {name: /^Importera/}).count() === 0, 'importing the same file again: nothing to do, no button');
    // A file that is not a register: refused next to the field, nothing shown.
    await choose(phone, 'lista.csv', 'Namn;Telefon\nNågon;123\n');
    await press(phone, phone.getByRole('button', {name: 'Provkör importen'}));
    await phone.locator('main .field-msg:not(:empty)').waitFor();
    check((await phone.locator('main .field-msg').first().innerText()).includes('saknar en kolumn för organisationsnummer') &&
        await phone.getByLabel('Fil med företag (CSV eller XLSX)').getAttribute('aria-invalid') === 'true',
    'a file without an orgnr column: the reason next to the field, which is marked');
    await screen(phone, 'import-error-390', {impact: 'minor'});
    await phone.context().close();

    // --- a handler has no import ------------------------------------------------------
    const hp = await newPage();
    await hp.goto(`${BASE}/`);
    await login(hp, 'bengt', 'bengt-lösen-1');
    check(await hp.getByRole('navigation', {name: 'Huvudmeny'}).getByRole('link', {name: 'Importera'}).count() === 0,
        'a handler has no "Importera" in the menu');
    await timedScreen(hp, () => hp.evaluate(() => { location.hash = '#/importera'; }));
    check(await hp.locator('main h1').innerText() === 'Ingen behörighet', 'and #/importera says "Ingen behörighet"');
    await hp.context().close();
});
