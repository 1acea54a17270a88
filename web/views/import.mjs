// import.mjs: "Importera företag" (#/importera, lots and admin) — a register of
// companies and contact persons from a CSV or XLSX file (docs/import.md).
//
// Choose a file, "Provkör": POST /imports/companies?dry_run=true with the file as
// the body answers what each row would do (created, empty fields filled,
// unchanged, failed with its line, column and error), shown as a table that can
// be filtered to the failing rows. Nothing is saved until "Importera" sends the
// same file again without dry_run; that answer is shown the same way, each
// company a link. Choosing another file drops the result shown. No request
// when the screen is shown.

import {h, append, clear, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field, showError} from '../lib/forms.mjs';
import {list, count} from '../lib/list.mjs';
import {errorText} from '../lib/sv.mjs';

const MAX_BYTES = 50 * 1024 * 1024; // lotsd's limit for an import (docs/import.md)
const ACCEPT = '.csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// The API's fields (the answer's columns, a failed row's field) as the file's
// usual Swedish headers say them.
const FIELDS = {
    orgnr: 'Organisationsnummer', name: 'Företagsnamn', locality: 'Ort', sni: 'SNI',
    'contacts.name': 'Kontaktperson', 'contacts.role': 'Roll', 'contacts.phone': 'Telefon',
    'contacts.email': 'E-post', contacts: 'Kontaktperson',
};
// A row's outcome, before (dry run) and after.
const STATUS = {
    created: ['Nytt företag', 'Skapat'],
    updated: ['Tomma fält fylls i', 'Tomma fält ifyllda'],
    unchanged: ['Oförändrat', 'Oförändrat'],
    failed: ['Fel – läses inte in', 'Fel – lästes inte in'],
};
const ENCODINGS = {'utf-8': 'UTF-8', 'windows-1252': 'Windows-1252'};

function statusText(item, dry) {
    const s = STATUS[item.status];
    let t = s ? s[dry ? 0 : 1] : item.status;
    if (item.status === 'updated' && item.fields && item.fields.length)
        t += `: ${item.fields.map(f => FIELDS[f] || f).join(', ')}`;
    return t;
}

// A failed row's reason; the code stays beside it (what docs/import.md and the
// CLI's --json name).
const ROW_ERRORS = {
    'missing_field:orgnr': 'Organisationsnummer saknas.',
    'missing_field:name': 'Företagsnamnet saknas.',
    'missing_field:contacts.name': 'Roll, telefon eller e-post utan kontaktpersonens namn.',
};
function rowError(item) {
    if (item.status !== 'failed') return '';
    return h('span', null, ROW_ERRORS[`${item.code}:${item.field}`] || errorText(item.code, item.field), ' ',
        h('span', {class: 'code'}, `(${item.code})`));
}

function orgnrCell(item, dry) {
    const nr = item.orgnr || '–';
    if (!dry && item.company_id && item.status !== 'failed') return h('a', {href: `#/foretag/${item.company_id}`}, nr);
    return nr;
}

// The answer of a run: the counts, how the file was read, and every row.
function result(res, dry, confirm) {
    const cards = [
        ['created', dry ? 'nya företag' : 'nya företag skapade'],
        ['updated', dry ? 'rader fyller i tomma fält' : 'rader fyllde i tomma fält'],
        ['unchanged', 'rader oförändrade'],
        ['failed', 'rader med fel'],
    ];
    const cols = Object.entries(res.columns || {}).map(([f, head]) => (FIELDS[f] && FIELDS[f] !== head
        ? `${FIELDS[f]} (”${head}”)` : head));
    const how = `Filen lästes som ${res.format === 'xlsx' ? 'Excel-arbetsbok (XLSX)' : 'CSV'}` +
        (res.format === 'csv' ? ` med teckenkodningen ${ENCODINGS[res.encoding] || res.encoding}` : '') +
        `. Rubrikraden är rad ${res.header_line}; ${count(res.rows, ['rad', 'rader'])} med uppgifter.`;
    return [
        h('ul', {class: 'cards plain'}, cards.map(([k, t]) => h('li', {class: `card imp-${k}`},
            h('span', {class: 'n'}, (res[k] || 0).toLocaleString('sv-SE')), ` ${t}`))),
        h('p', null, how),
        h('p', null, `Kolumner som läses: ${cols.join(', ')}.`),
        res.unknown_columns && res.unknown_columns.length
            ? h('p', {class: 'notice'}, `Kolumner som inte känns igen och inte läses in: ${res.unknown_columns.join(', ')}.`)
            : null,
        confirm || null,
        h('h3', {id: dry ? 'imp-rows-dry' : 'imp-rows-done'}, dry ? 'Vad som händer med varje rad' : 'Vad som hände med varje rad'),
        list({
            id: dry ? 'import-dry' : 'import-done', noun: ['rad', 'rader'], rows: res.items, sort: ['line', 'asc'], pageSize: 50,
            rowClass: i => (i.status === 'failed' ? 'overdue' : null),
            filters: [{key: 'status', label: 'Visa', options: [['', 'Alla rader'], ['failed', 'Rader med fel'],
                ['created', 'Nya företag'], ['updated', 'Tomma fält fylls i'], ['unchanged', 'Oförändrade']],
            test: (i, v) => i.status === v}],
            columns: [
                {key: 'line', label: 'Rad', value: i => i.line, cell: i => String(i.line)},
                {key: 'orgnr', label: 'Organisationsnummer', value: i => i.orgnr || '', cell: i => orgnrCell(i, dry)},
                {key: 'status', label: 'Utfall', value: i => i.status, cell: i => statusText(i, dry)},
                {key: 'column', label: 'Kolumn', cell: i => (i.status === 'failed' ? i.column || FIELDS[i.field] || '' : '')},
                {key: 'error', label: 'Fel', cell: rowError},
            ],
        }),
    ];
}

export async function render(main) {
    const out = h('div', {id: 'import-result'});
    let chosen = null; // the File of the last dry run, sent again on "Importera"
    const file = field({label: 'Fil med företag (CSV eller XLSX)', name: 'file', type: 'file', required: true,
        hint: 'Excel-arbetsbok (.xlsx) eller CSV (semikolon eller komma, UTF-8 eller Windows-1252), högst 50 MB. ' +
            'Första bladet läses; rubrikraden får ligga bland de tio första raderna.'});
    file.control.setAttribute('accept', ACCEPT);
    file.control.setAttribute('data-autofocus', '');
    file.control.addEventListener('change', () => { chosen = null; clear(out); });

    // A whole-file error (unreadable, no orgnr column, too large …) next to the file field.
    function fileError(f, e) {
        showError(f, f.querySelector('.form-error'), {code: e.code, field: 'file'});
        const line = e.code === 'unreadable_file' && /^line (\d+)/.exec(e.message || '');
        if (line) file.msg.textContent += ` (rad ${line[1]})`;
        announce(file.msg.textContent);
    }

    const f = form({
        label: 'Provkör en import', submit: 'Provkör importen',
        onSubmit: async (_v, f) => {
            const blob = f.elements.file.files[0];
            if (!blob) throw {code: 'missing_field', field: 'file'};
            if (blob.size > MAX_BYTES) throw {code: 'payload_too_large', field: 'file'};
            // A big file takes a while to send and read: say so.
            append(clear(out), h('p', {class: 'notice', role: 'status'}, `Skickar och provkör ${blob.name} …`));
            let res;
            try {
                res = await api('POST', '/imports/companies?dry_run=true', blob);
            } catch (e) {
                clear(out);
                if (e.code === 'unauthorized' || e.code === 'network') throw e;
                fileError(f, e);
                return;
            }
            chosen = blob;
            showDry(res, blob.name);
        },
    }, [file]);

    function showDry(res, name) {
        const todo = res.created + res.updated;
        const h2 = h('h2', {id: 'imp-h', tabindex: -1}, `Provkörning av ${name}`);
        const confirm = h('div', {class: 'actions'});
        const err = h('div', {class: 'form-error', role: 'alert'});
        if (todo > 0) {
            const btn = h('button', {type: 'button', class: 'primary'},
                `Importera ${count(res.created, ['nytt företag', 'nya företag'])}` +
                (res.updated ? ` och fyll i tomma fält (${count(res.updated, ['rad', 'rader'])})` : ''));
            const label = btn.textContent;
            btn.addEventListener('click', async () => {
                btn.disabled = true;
                btn.textContent = 'Importerar …';
                err.textContent = '';
                try {
                    const done = await api('POST', '/imports/companies', chosen);
                    showDone(done, name);
                } catch (e) {
                    if (e.code === 'unauthorized') return;
                    err.textContent = errorText(e.code);
                    btn.textContent = label;
                    btn.disabled = false;
                }
            });
            append(confirm, btn);
        }
        append(clear(out), h('section', {'aria-labelledby': 'imp-h'}, h2,
            h('p', {class: 'notice'}, todo > 0
                ? 'Inget är sparat ännu. Granska raderna och tryck sedan på Importera för att läsa in filen på riktigt.'
                : 'Filen ändrar ingenting i registret: allt i den finns redan, eller så har raderna fel.'),
            result(res, true, [
                res.failed ? h('p', null, 'Rader med fel läses inte in. Rätta dem i filen och importera den igen – ' +
                    'det som redan är inläst ändras inte en gång till.') : null,
                todo > 0 ? [confirm, err] : null])));
        announce(`Provkörningen är klar: ${count(res.created, ['nytt företag', 'nya företag'])}, ` +
            `${count(res.failed, ['rad', 'rader'])} med fel. Inget är sparat ännu.`);
        h2.focus();
    }

    function showDone(res, name) {
        chosen = null;
        const h2 = h('h2', {id: 'imp-h', tabindex: -1}, `Importen av ${name} är klar`);
        append(clear(out), h('section', {'aria-labelledby': 'imp-h'}, h2,
            h('p', {class: 'notice', role: 'status'},
                `${count(res.created, ['nytt företag', 'nya företag'])} skapade, ` +
                `${count(res.updated, ['rad', 'rader'])} fyllde i tomma fält. `, h('a', {href: '#/foretag'}, 'Sök bland företagen'), '.'),
            result(res, false)));
        announce(`Importen är klar: ${count(res.created, ['nytt företag', 'nya företag'])} skapade.`);
        h2.focus();
    }

    append(main, h('h1', {tabindex: -1}, 'Importera företag'),
        h('p', {class: 'lead'}, 'Läs in företag och deras kontaktpersoner från ett kalkylark, till exempel ett utdrag ur ' +
            'SCB:s företagsregister eller kommunens egen lista. Filen provkörs först: du ser vad som händer med varje rad ' +
            'innan något sparas.'),
        h('details', {class: 'panel'}, h('summary', null, 'Vilka kolumner läses?'),
            h('p', null, 'Kolumnerna känns igen på rubriken, på svenska eller engelska. Organisationsnummer och företagsnamn ' +
                'måste finnas; andra kolumner visas i resultatet och hoppas över.'),
            h('ul', null,
                h('li', null, 'Organisationsnummer (Orgnr, PeOrgNr) – ett personnummer går bra för en enskild firma'),
                h('li', null, 'Företagsnamn (Namn, Firma)'),
                h('li', null, 'Ort (Postort), SNI'),
                h('li', null, 'Kontaktperson, Roll, Telefon, E-post')),
            h('p', null, 'Ett företag som redan finns ändras inte: bara tomma uppgifter fylls i och nya kontaktpersoner ' +
                'läggs till. Samma fil en gång till ändrar ingenting.')),
        f, out);
}
