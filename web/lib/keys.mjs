// keys.mjs: the keyboard shortcuts, one list for the "?" dialog (app.mjs) and
// the handledning (views/guide.mjs), so the two cannot disagree.

export const KEYS = [
    ['?', 'Visa listan över kortkommandon'],
    ['/', 'Gå till sökrutan överst'],
    ['g d', 'Gå till Min dag'], ['g f', 'Gå till Företag'], ['g i', 'Gå till Inkorg'], ['g k', 'Gå till Kvartal'],
    ['g b', 'Gå till Förbättringar'], ['g p', 'Gå till Handlingsplan'], ['g a', 'Gå till Användare (administratör)'],
    ['g h', 'Gå till Handledning'],
    ['Ctrl+Enter', 'Spara formuläret du står i'],
    ['1–6, 0', 'Uppföljningssamtal: svara på frågan du står i (ja/nej: 1 = ja, 2 = nej), 0 = vet ej'],
    ['Esc', 'Stäng rutan med kortkommandon'],
];
