// web_phone_story.mjs: web_story.mjs's whole story played again at 390 px (a
// phone): every step, axe on every screen, its screenshots as NAME-phone.png.
process.env.LB_E2E_PHONE = '1';
await import('./web_story.mjs');
