// work_phone_story.mjs: work_story.mjs's day of work, item by item of issue 25,
// played again with every page at 390 px (a phone; lists sorted by their "Sortera"
// select there), its screenshots as NAME-phone.png. The report stays at 1280 px.
process.env.LB_E2E_PHONE = '1';
await import('./work_story.mjs');
