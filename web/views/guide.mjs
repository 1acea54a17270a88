// guide.mjs: the handledning (#/handledning), reachable from every screen and
// without logging in — what each screen is for, the day's routine for a new lots
// and a new unit handler, what happens after a hand-off and after a closed case,
// and the shortcuts (lib/keys.mjs). The plan's action 1.1 asks for "en
// vägledning/handledning som stöd för interna aktörer"; this is where staff look.
// Static text, no request.

import {h, append, stackRoles} from '../lib/dom.mjs';
import {KEYS} from '../lib/keys.mjs';

// [id, title, ...content]; content items are paragraphs (strings) or nodes.
const ul = (...items) => h('ul', null, items.map(x => h('li', null, x)));
const ol = (...items) => h('ol', null, items.map(x => h('li', null, x)));
const b = text => h('strong', null, text);

const SECTIONS = [
    ['g-vad', 'Vad Lotsbok är till för',
        'Lotsbok är kommunens ärendebok för företagslotsen: den enda dörren in till kommunen för ett företag. ' +
        'Lotsen registrerar varje kontakt med företaget, lämnar över frågor till de enheter som beslutar ' +
        '(bygglov, miljö- och hälsoskydd, livsmedelskontroll, serveringstillstånd, räddningstjänst, markupplåtelse, upphandling) ' +
        'och ser till att enheterna tar emot och beslutar. Några arbetsdagar efter att ärendet är klart ringer lotsen upp ' +
        'företaget och frågar hur det gick, på samma skala som SKR:s Insikt. Varje kvartal går arbetsgruppen för ' +
        'företagslots igenom vad svaren säger.',
        'Handlingsplanen för näringslivsstrategin (åtgärd 1.1–1.3) mäts härifrån: hur många företag som fått hjälp, ' +
        'hur nöjda de är med lotsen och med enheterna (NKI), hur snabbt enheterna tar emot och beslutar, och vilka ' +
        'förbättringar som gjorts.'],
    ['g-roller', 'Vem gör vad',
        ul([b('Företagslots'), ': registrerar företag, öppnar ärenden, loggar kontakter, lämnar över till enheter, avslutar ärenden och ringer uppföljningssamtalen.'],
            [b('Handläggare'), ': ser bara sina enheters överlämningar, tar emot dem med enhetens diarienummer och registrerar beslutet.'],
            [b('Arbetsgruppen'), ': läser kvartalets indikatorer, rapporten och förbättringsåtgärderna. Ser inga personuppgifter.'],
            [b('Administratör'), ': användare, roller och enheter.'])],
    ['g-skarmar', 'Skärmarna',
        ul([b('Min dag'), ' (lots): dagens och försenade uppföljningssamtal, dina ärendens överlämningar som väntat för länge, och dina öppna ärenden. Börja dagen här.'],
            [b('Företag'), ': sök på namn (utan å, ä, ö går bra) eller organisationsnummer i vilken form som helst, och registrera nya företag. Numret kontrolleras medan du skriver.'],
            [b('Importera'), ' (lots, administratör): läs in ett företagsregister från Excel (XLSX) eller CSV. Filen provkörs först och varje rad visas – nytt företag, tomma fält som fylls i, oförändrat eller fel med rad och kolumn. Inget sparas förrän du trycker på Importera; ett företag som redan finns får bara sina tomma uppgifter ifyllda.'],
            [b('Företagets sida'), ': uppgifter, kontaktpersoner (med telefonnummer till uppföljningen), företagets ärenden och knappen för att öppna ett nytt ärende.'],
            [b('Ärendet'), ': allt som hänt i ärendet som en tidslinje, nyast överst: kontakter, överlämningar, beslut, uppföljningssamtal. Bredvid (på mobilen ovanför): logga kontakt, lämna över, avsluta, ändra ärendet eller ansvarig lots. Utskriftsvyn ger ärendet på papper.'],
            [b('Uppföljningssamtal'), ': frågorna att läsa upp, svaren som knappar 1–6 och "vet ej", och vilka ärenden samtalet gäller. Inget svar? Registrera det, så planeras ett nytt försök. Blev ett svar fel? Samma dag kan du välja Rätta svaren på samtalet.'],
            [b('Inkorg'), ' (handläggare): enhetens överlämningar som inte är beslutade, försenade överst och markerade. Siffran i menyn är antalet nya.'],
            [b('Överlämning'), ': meddelandet från lotsen, företagets kontaktpersoner, och formulären för att ta emot och besluta.'],
            [b('Kvartal'), ': kvartalets indikatorer med diagram och trend över åtta kvartal, vad som ändrats, förbättringsåtgärderna och rapporten att ladda ner.'],
            [b('Förbättringar'), ': de förbättringsåtgärder som kommit fram, med status. Lotsen registrerar nya och ändrar status.'],
            [b('Träffar'), ': årets företagarträffar, utbildningar och andra träffar per typ. På träffens sida lägger lotsen till deltagande företag (sök i registret medan du skriver, eller registrera ett nytt), dokumenterar behov och förslag, skriver in pappersenkäter (siffertangenterna svarar) och laddar ner QR-bladet att skriva ut. Andelar i utvärderingen visas först från 7 svar; arbetsgruppen ser bara antal och sammanställningen.'],
            [b('Användare'), ' (administratör): skapa användare, ändra roll, enheter, namn och lösenord.'],
            [b('Handlingsplan'), ': näringslivsstrategins handlingsplan, målområde för målområde, varje åtgärd med årets status. ' +
                'Åtgärdens sida visar syfte, aktiviteter och indikatorerna över planens år; där fylls årets uppföljning i ' +
                '(lotsen och administratören för alla åtgärder, handläggaren för de egna enheternas). ' +
                'Årsrapporten till kommunstyrelsen finns att läsa och ladda ner som HTML eller Excel.'],
            [b('Sökrutan'), ' överst (lots, handläggare, administratör; tangenten /): skriv det du minns – "båtvarv grisslehamn", ' +
                'ett ärendenummer, ett diarienummer, ett ord ur en anteckning. Alla orden ska finnas, det sista räcker som början av ett ord. ' +
                'Träffarna kommer i grupper: företag, ärenden, kontakter och överlämningar. En handläggare hittar bara det som hör till de egna enheterna.'])],
    ['g-lots', 'Dagens rutin för en ny lots',
        ol('Öppna Min dag. Siffran vid Min dag i menyn är antalet samtal att ringa idag.',
            'Ring dagens uppföljningssamtal (Ring i listan). Läs frågorna som de står; siffertangenterna svarar och går vidare.',
            'Titta på överlämningar som väntat för länge: hör av dig till enheten om något fastnat.',
            'När ett företag hör av sig: sök fram företaget (eller registrera det, med en kontaktperson och telefonnummer), öppna eller välj ärendet och logga kontakten direkt – fokus står redan i sammanfattningen, Ctrl+Enter sparar.',
            'Behöver en enhet besluta? Lämna över med ett meddelande som säger vad ärendet gäller och vad enheten behöver veta.',
            'När företagets fråga är löst: avsluta ärendet med utfall. Lotsbok varnar om en överlämning inte är besvarad.')],
    ['g-handl', 'Dagens rutin för en ny handläggare',
        ol('Öppna Inkorg. Försenade överlämningar (äldre än två arbetsdagar utan mottagande) ligger överst och är markerade "Försenad".',
            'Öppna en ny överlämning, läs lotsens meddelande och ta emot den med enhetens diarienummer. Ta emot inom två arbetsdagar – det mäts.',
            'När enheten har beslutat: öppna överlämningen igen och registrera beslutet.',
            'Under Kvartal ser du din enhets siffror: andel mottagna i tid, handläggningstid och företagens nöjdhet (NKI).')],
    ['g-overlamning', 'Vad händer efter en överlämning',
        ul('Överlämningen hamnar i enhetens inkorg som "Skickad", och antalet nya syns i handläggarens meny.',
            'Tar enheten inte emot den inom två arbetsdagar markeras den som försenad – i inkorgen, på lotsens Min dag och i kvartalsrapporten.',
            'Handläggaren tar emot den (status "Mottagen", med diarienummer) och registrerar sedan beslutet (beviljat, avslag, rådgivning lämnad, återkallat eller annat).',
            'Tio arbetsdagar efter beslutet planeras ett uppföljningssamtal om enhetens service, på den ansvariga lotsens lista.',
            'Lotsen kan återkalla en överlämning som inte är beslutad, också efter att ärendet avslutats.')],
    ['g-avslut', 'Vad händer när ett ärende avslutas',
        ul('Tio arbetsdagar efter avslutet planeras ett uppföljningssamtal om lotsens service, på den ansvariga lotsens lista.',
            'Ett företag rings aldrig två gånger inom 30 dagar: samtal som skulle hamna nära varandra slås ihop till ett, som då gäller flera ärenden eller enheter.',
            'Överlämningar som inte är besvarade ligger kvar hos enheten. Vill du att de ska upphöra, kryssa i dem när du avslutar, eller återkalla dem från tidslinjen.',
            'Ett avslutat ärende kan öppnas igen.',
            'Inget svar i uppföljningssamtalet: ett nytt försök planeras två arbetsdagar fram; efter tredje försöket räknas företaget som ej nåbart.')],
    ['g-person', 'Personuppgifter',
        'Skriv det som behövs för ärendet och inget mer. Sammanfattningar och kommentarer ska inte innehålla känsliga uppgifter. ' +
        'Arbetsgruppens rapporter innehåller inga personuppgifter, och index på färre än sju svar redovisas inte. ' +
        'Utskrifter av ärenden innehåller personuppgifter: hantera dem därefter.'],
];

export async function render(main) {
    const go = id => ev => {
        ev.preventDefault();
        const t = document.getElementById(id);
        if (t) { t.focus(); t.scrollIntoView({block: 'start'}); }
    };
    append(main, h('div', {class: 'guide'},
        h('h1', {tabindex: -1}, 'Handledning'),
        h('p', {class: 'lead'}, 'Så använder du Lotsbok – för dig som är ny som företagslots eller handläggare.'),
        h('nav', {'aria-labelledby': 'toc-h'}, h('h2', {id: 'toc-h'}, 'Innehåll'),
            h('ol', null, [...SECTIONS.map(([id, title]) => h('li', null, h('a', {href: '#/handledning', onclick: go(id)}, title))),
                h('li', null, h('a', {href: '#/handledning', onclick: go('g-keys')}, 'Kortkommandon'))])),
        SECTIONS.map(([id, title, ...body]) => h('section', {'aria-labelledby': id},
            h('h2', {id, tabindex: -1}, title), body.map(x => (typeof x === 'string' ? h('p', null, x) : x)))),
        h('section', {'aria-labelledby': 'g-keys'}, h('h2', {id: 'g-keys', tabindex: -1}, 'Kortkommandon'),
            h('p', null, 'Tryck ? var som helst (utom när du skriver i ett fält) för att se listan.'),
            stackRoles(h('table', {class: 'stack'}, h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Tangent'), h('th', {scope: 'col'}, 'Gör'))),
                h('tbody', null, KEYS.map(([k, t]) => h('tr', null, h('td', {'data-label': 'Tangent'}, h('kbd', null, k)),
                    h('td', {'data-label': 'Gör'}, t)))))))));
}
