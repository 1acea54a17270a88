// followup.mjs: the follow-up call (#/uppfoljning/ID), made to be read aloud on
// the phone. One fieldset per question of DESIGN.md "Follow-up answers", for the
// lots item and for each unit item of the call; the answer buttons are radio
// buttons (1–6 and "vet ej"; yes/no questions Ja/Nej/vet ej).
//
// Keyboard: in a question, the digits 1–6 answer it (yes/no: 1 = ja, 2 = nej) and
// 0 is "vet ej"; the focus then moves to the next question, so a whole call can
// be recorded with the number keys. Arrow keys move within a question as usual.
// "vet ej" is sent as a left-out answer, as the API wants.
//
// The screen says which cases and units the call is about and whom to call
// (the company's contact persons; a link to add one when there is none).
// "Inget svar" and "Företaget avböjde" ask for a confirmation first. Something
// the municipality should improve can be written down here and becomes an
// improvement action linked to the call. Two requests: the call (with its
// company name and case numbers) and the company (contact persons).
//
// A recorded call shows its answers and their corrections. On the (Stockholm)
// day it was recorded as done — not when the company answered the e-mail survey
// itself — "Rätta svaren" opens the same questions with the recorded answers
// chosen; only the changed answers are sent (PATCH /followups/{id}/result with
// If-Match), and the screen is drawn again with the new answers.

import {h, append, clear, dl, announce, table} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {unitName, unitOptions} from '../lib/ref.mjs';
import {QUESTIONS, SCALE_TOP, FOLLOWUP_STATUS, LOTS, label, today, when, dateOf} from '../lib/sv.mjs';

// An answer as shown: 1–6, Ja, Nej or "vet ej" (null or left out).
const answerText = v => v === true ? 'Ja' : v === false ? 'Nej' : v === null || v === undefined ? 'vet ej' : String(v);
// A recorded answer as the value of its radio button ('' is "vet ej").
const answerValue = v => v === true ? 'true' : v === false ? 'false' : v === null || v === undefined ? '' : String(v);

function question(item, [key, kind, text], n, was) {
    const name = `${item}.${key}`;
    const choices = kind === 'scale'
        ? [...Array(SCALE_TOP).keys()].map(i => [String(i + 1), String(i + 1)])
        : [['true', 'Ja'], ['false', 'Nej']];
    const legend = h('legend', null, h('span', {class: 'qn'}, `${n}. `), text);
    return h('fieldset', {class: `question q-${kind}`, 'data-kind': kind},
        legend,
        kind === 'scale' ? h('p', {class: 'hint'}, '1 = mycket missnöjd, 6 = mycket nöjd') : null,
        h('div', {class: 'choices'},
            choices.map(([v, t]) => h('label', {class: 'choice'}, h('input', {type: 'radio', name, value: v, checked: was === v}), h('span', null, t))),
            h('label', {class: 'choice dk'}, h('input', {type: 'radio', name, value: '', checked: !was}), h('span', null, 'vet ej'))));
}

// The digit pressed inside a question answers it and moves on.
function onDigit(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || !/^[0-6]$/.test(ev.key)) return;
    const fs = ev.target.closest && ev.target.closest('fieldset.question');
    if (!fs || ev.target.tagName === 'TEXTAREA') return;
    const radios = [...fs.querySelectorAll('input[type=radio]')];
    const d = Number(ev.key);
    let target;
    if (d === 0) target = radios.find(r => r.value === '');
    else if (fs.dataset.kind === 'scale') target = radios.find(r => r.value === String(d));
    else target = d === 1 ? radios.find(r => r.value === 'true') : d === 2 ? radios.find(r => r.value === 'false') : null;
    if (!target) return;
    ev.preventDefault();
    target.checked = true;
    target.dispatchEvent(new Event('change', {bubbles: true}));
    const all = [...fs.form.querySelectorAll('fieldset.question')];
    const next = all[all.indexOf(fs) + 1];
    if (next) (next.querySelector('input:checked') || next.querySelector('input')).focus();
    else (fs.form.elements.comment || fs.form.querySelector('button[type=submit]')).focus();
}

// The e-mail survey (docs/surveys.md): when it was sent and reminded, when the
// call goes on the list; calling now stops the link.
const day = t => t ? t.slice(0, 10) : '';
function surveyText(f) {
    const s = f.survey;
    if (!s) return '';
    const sent = `Enkäten skickades per e-post ${day(s.sent_at)}`;
    const rem = s.reminders ? `, påmindes ${s.reminders} ${s.reminders === 1 ? 'gång' : 'gånger'} (senast ${day(s.reminded_at)})` : '';
    if (s.status === 'sent' && f.status === 'scheduled')
        return `Väntar på svar på e-postenkät. ${sent}${rem}. Utan svar kommer samtalet på ringlistan ${s.call_from}. Du kan ringa ändå – då slutar länken i e-posten att fungera.`;
    if (s.status === 'answered') return `Besvarad per e-post. ${sent}${rem}.`;
    if (s.status === 'bounced') return `E-postadressen studsade (${day(s.ended_at)}): ring i stället.`;
    if (s.status === 'opted_out') return `Kontaktpersonen avregistrerade sig från e-postenkäter (${day(s.ended_at)}): ring i stället.`;
    return `${sent}${rem}.`;
}

export async function render(main, params, ctx) {
    const f = await api('GET', `/followups/${params[0]}`);
    const company = await api('GET', `/companies/${f.company_id}`);
    const about = [];
    for (const it of f.items) {
        const who = it.kind === 'lots' ? LOTS : unitName(it.unit);
        const c = about.find(x => x.case_id === it.case_id);
        if (c) c.units.push(who);
        else about.push({case_id: it.case_id, number: it.case_number, subject: it.case_subject, units: [who]});
    }
    const phones = (company.contacts || []).filter(p => p.phone);
    append(main,
        h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Min dag'), ' / Uppföljningssamtal'),
        h('h1', {tabindex: -1}, `Uppföljningssamtal: ${company.name}`),
        dl([['Ring', phones.length ? h('ul', {class: 'plain'}, phones.map(p => h('li', null,
            `${p.name}${p.role ? ` (${p.role})` : ''}: `, h('a', {href: `tel:${p.phone.replace(/[^\d+]/g, '')}`}, p.phone))))
            : h('span', null, 'Inget telefonnummer registrerat. ', h('a', {href: `#/foretag/${company.id}`}, 'Lägg till en kontaktperson'), '.')],
        ['Gäller', h('ul', {class: 'plain'}, about.map(a => h('li', null,
            h('a', {href: `#/arende/${a.case_id}`}, a.number || `ärende ${a.case_id}`), a.subject ? `: ${a.subject}` : '',
            ` – ${a.units.join(', ')}`)))],
        ['Orgnr', company.orgnr_formatted], ['Förfallodag', f.due], ['Status', label(FOLLOWUP_STATUS, f.status)],
        ['Tidigare försök', String(f.attempts)]]));
    const mail = surveyText(f);
    if (mail) append(main, h('p', {class: 'notice', id: 'survey-state'}, mail));
    const items = [];
    const seen = new Set();
    for (const it of f.items) {
        const key = it.kind === 'lots' ? 'lots' : it.unit;
        if (seen.has(key)) continue;
        seen.add(key);
        items.push({key, kind: it.kind, case_id: it.case_id});
    }
    if (f.status !== 'scheduled') {
        append(main, h('p', null, 'Samtalet är redan registrerat.'));
        if (f.status === 'done') recorded(main, f, items, ctx);
        return;
    }
    let n = 0;
    const sections = items.map(it => h('section', {class: 'qset', 'aria-labelledby': `qs-${it.key}`},
        h('h2', {id: `qs-${it.key}`}, it.kind === 'lots' ? 'Om företagslotsen' : `Om ${unitName(it.key)}`),
        h('p', {class: 'read'}, it.kind === 'lots'
            ? 'Läs upp: "Du fick hjälp av kommunens företagslots. Svara på en skala från 1 till 6, där 1 är mycket missnöjd och 6 mycket nöjd."'
            : `Läs upp: "Nu några frågor om ditt ärende hos ${unitName(it.key).toLowerCase()}."`),
        QUESTIONS[it.kind].map(q => question(it.key, q, ++n))));

    const record = async (status, v, key) => {
        const body = {status};
        if (status === 'done') {
            const answers = {};
            for (const it of items) {
                answers[it.key] = {};
                for (const [q, kind] of QUESTIONS[it.kind]) {
                    const a = v[`${it.key}.${q}`];
                    if (a === undefined || a === '') continue;
                    answers[it.key][q] = kind === 'scale' ? Number(a) : a === 'true';
                }
            }
            body.answers = answers;
        }
        if (v.comment && v.comment.trim()) body.comment = v.comment.trim();
        if (status === 'done' && v.channel) body.channel = v.channel;
        await api('POST', `/followups/${f.id}/result`, body, {key});
        if (v.improvement && v.improvement.trim()) {
            const imp = {title: v.improvement.trim().slice(0, 200), followup_id: f.id};
            if (v.improvement_unit) imp.unit = v.improvement_unit;
            await api('POST', '/improvements', imp, {key: `${key}-imp`});
        }
        announce(status === 'done' ? 'Svaren är sparade.' : status === 'no_answer'
            ? 'Inget svar är registrerat. Samtalet är planerat igen.' : 'Samtalet är registrerat.');
        ctx.go('');
    };
    const done = form({
        label: 'Svar från uppföljningssamtalet', submit: 'Spara svaren', draft: `followup-${f.id}`, className: 'form survey',
        onSubmit: (v, _f, key) => record('done', v, key),
    }, [h('p', {class: 'hint'}, 'Tangentbord: siffrorna 1–6 svarar på frågan du står i (ja/nej: 1 = ja, 2 = nej), 0 = vet ej. Ctrl+Enter sparar.'),
        sections,
        field({label: 'Kommentar (skriv inte in personuppgifter)', name: 'comment', type: 'textarea', rows: 3, maxlength: 10000}),
        h('fieldset', null, h('legend', null, 'Förbättringsförslag (frivilligt)'),
            h('p', {class: 'hint'}, 'Kom det fram något kommunen borde göra bättre? Det blir en förbättringsåtgärd, kopplad till samtalet, som arbetsgruppen följer upp.'),
            field({label: 'Förbättringsåtgärd', name: 'improvement', maxlength: 200}),
            field({label: 'Gäller', name: 'improvement_unit', options: [['', LOTS], ...unitOptions()],
                value: items.find(i => i.kind === 'unit') ? items.find(i => i.kind === 'unit').key : ''})),
        h('fieldset', {class: 'channel'}, h('legend', null, 'Svaren kom via'),
            [['phone', 'Telefon'], ['paper', 'Pappersenkät'], ['email', 'E-post (svar i ett mejl)']].map(([v, t]) =>
                h('label', {class: 'choice'}, h('input', {type: 'radio', name: 'channel', value: v, checked: v === 'phone'}), ` ${t}`)))]);
    done.addEventListener('keydown', onDigit);
    const first = done.querySelector('fieldset.question input:checked');
    if (first) first.setAttribute('data-autofocus', '');

    // "Inget svar" and "Företaget avböjde" record at once once confirmed; the
    // confirmation says what will happen and can be cancelled.
    const confirmBox = h('div', {class: 'confirm-slot'});
    const ask = (status, text, what) => h('button', {type: 'button', onclick: () => {
        clear(confirmBox);
        const cancel = h('button', {type: 'button', onclick: () => { clear(confirmBox); btn.focus(); }}, 'Avbryt');
        const ok = form({
            label: `Bekräfta: ${text}`, submit: `Ja, registrera ${text.toLowerCase()}`, className: 'form inline', extra: cancel,
            onSubmit: (_v, _f, key) => record(status, {}, key),
        }, []);
        append(confirmBox, h('div', {class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-q'},
            h('p', {id: 'confirm-q'}, h('strong', null, `${text}? `), what), ok));
        ok.querySelector('button[type=submit]').focus();
    }}, text);
    const tries = f.attempts + 1;
    const btn = ask('no_answer', 'Inget svar', tries >= 3
        ? 'Det här är tredje försöket: företaget räknas som ej nåbart och samtalet avslutas.'
        : `Försök ${tries} av 3. Samtalet planeras om två arbetsdagar fram.`);
    append(main, done, h('section', {'aria-labelledby': 'na-h'}, h('h2', {id: 'na-h'}, 'Fick du inget svar?'),
        h('p', null, 'Inget svar: samtalet planeras om två arbetsdagar fram. Tredje gången räknas företaget som ej nåbart.'),
        h('div', {class: 'actions'}, btn,
            ask('declined', 'Företaget avböjde', 'Samtalet avslutas utan svar och räknas som avböjt.')),
        confirmBox));
}

// A call recorded done: its answers, their corrections, and "Rätta svaren" on
// the day it was recorded.
function recorded(main, f, items, ctx) {
    const answers = f.answers || {};
    const title = it => it.kind === 'lots' ? 'Om företagslotsen' : `Om ${unitName(it.key)}`;
    append(main, h('section', {'aria-labelledby': 'ans-h'}, h('h2', {id: 'ans-h'}, 'Svaren'),
        items.map(it => table(title(it), ['Fråga', 'Svar'],
            QUESTIONS[it.kind].map(([q, , text]) => [text, answerText((answers[it.key] || {})[q])])))));
    const cors = f.corrections || [];
    if (cors.length) {
        const qtext = (item, q) => {
            const qs = QUESTIONS[item === 'lots' ? 'lots' : 'unit'].find(x => x[0] === q);
            return `${item === 'lots' ? LOTS : unitName(item)}: ${qs ? qs[2] : q}`;
        };
        append(main, h('section', {'aria-labelledby': 'cor-h'}, h('h2', {id: 'cor-h'}, 'Rättelser'),
            table(null, ['När', 'Av', 'Fråga', 'Före', 'Efter'],
                cors.map(k => [when(k.at), k.by, qtext(k.item, k.question), answerText(k.before), answerText(k.after)]))));
    }
    const byCompany = f.survey && f.survey.status === 'answered';
    if (byCompany) return;
    if (!f.recorded_at || dateOf(f.recorded_at) !== today()) {
        append(main, h('p', {class: 'hint'}, 'Svaren kan bara rättas samma dag som samtalet registrerades.'));
        return;
    }
    let n = 0;
    const fix = form({
        label: 'Rätta svaren', submit: 'Spara rättelsen', className: 'form survey',
        onSubmit: async v => {
            const changes = {};
            for (const it of items) {
                for (const [q, kind] of QUESTIONS[it.kind]) {
                    const a = v[`${it.key}.${q}`];
                    if (a === undefined || a === answerValue((answers[it.key] || {})[q])) continue;
                    (changes[it.key] ||= {})[q] = a === '' ? null : kind === 'scale' ? Number(a) : a === 'true';
                }
            }
            if (!Object.keys(changes).length) {
                announce('Inget svar ändrades.');
                status.textContent = 'Inget svar ändrades.';
                return;
            }
            await api('PATCH', `/followups/${f.id}/result`, {answers: changes}, {ifMatch: f.version});
            announce('Svaren är rättade.');
            ctx.go(`uppfoljning/${f.id}`);
        },
    }, [h('p', {class: 'hint'}, 'De registrerade svaren är valda. Ändra det som blev fel; bara ändrade svar sparas. Tangentbord: siffrorna 1–6 (ja/nej: 1 = ja, 2 = nej), 0 = vet ej.'),
        items.map(it => h('section', {class: 'qset', 'aria-labelledby': `fx-${it.key}`},
            h('h3', {id: `fx-${it.key}`}, title(it)),
            QUESTIONS[it.kind].map(q => question(it.key, q, ++n, answerValue((answers[it.key] || {})[q[0]])))))]);
    const status = h('p', {role: 'status', class: 'hint'});
    fix.addEventListener('keydown', onDigit);
    append(main, h('details', {class: 'panel', id: 'correct'}, h('summary', null, 'Rätta svaren'), fix, status));
}
