// day_story.mjs: every screen of the web interface on the demo data (issue 25), as
// the lots, a bygglov handler, the arbetsgrupp and the administrator see it at 1280 px:
// no horizontal overflow, axe-core with no violation of any impact, at most three API
// requests per screen, and the time to content (screens.mjs). Then a few screens in
// dark mode (prefers-color-scheme), axe-clean too. phone_story.mjs does 390 px.

import {check, finish, login, newPage} from './harness.mjs';
import {setup, tour, loggedOut, visit, printTimes} from './screens.mjs';

const env = await setup();

await finish(async () => {
    await loggedOut(env, 1280);
    const times = await tour(env, 1280, () => true);
    const dark = await newPage({colorScheme: 'dark'});
    await dark.goto(`${env.BASE}/`);
    await login(dark, 'anna.lots', env.pw('anna.lots'));
    for (const [route, name] of [['', 'min-dag'], [`arende/${env.kase.id}`, 'arende'], [`uppfoljning/${env.fu.id}`, 'uppfoljning'],
        [`kvartal/${env.prev}`, 'kvartal']]) await visit(dark, 'anna.lots', 1280, route, name, {dark: true});
    check(await dark.evaluate(() => getComputedStyle(document.body).backgroundColor) !== 'rgb(255, 255, 255)',
        'dark mode: the page follows prefers-color-scheme');
    await dark.context().close();
    printTimes('screen times (navigation → content as the app measures it; demo data, 1280 px):', times);
});
