// forms.mjs: what every form does alike — drafts kept while typing, submit with
// Ctrl+Enter, one Idempotency-Key per attempt, errors shown in Swedish and
// announced, the failing field marked and focused.
//
// Drafts: every named field (not passwords) is saved to sessionStorage under the
// form's draft key on each input, restored when the form is built again (after a
// re-login, a reload or coming back to the page), and dropped after a success.

import {h, field} from './dom.mjs';

export {field};
import {newKey} from './api.mjs';
import {errorText} from './sv.mjs';

const PREFIX = 'lotsbok.draft.';

function save(form, key) {
    const data = {};
    for (const el of form.elements) {
        if (!el.name || el.type === 'password' || el.type === 'submit' || el.type === 'button') continue;
        if (el.type === 'radio') { if (el.checked) data[el.name] = el.value; continue; }
        if (el.type === 'checkbox') { data[`${el.name}=${el.value}`] = el.checked; continue; }
        data[el.name] = el.value;
    }
    sessionStorage.setItem(PREFIX + key, JSON.stringify(data));
}

function restore(form, key) {
    let data;
    try { data = JSON.parse(sessionStorage.getItem(PREFIX + key) || 'null'); } catch { data = null; }
    if (!data) return false;
    for (const el of form.elements) {
        if (!el.name || el.type === 'password') continue;
        if (el.type === 'radio') { if (el.name in data) el.checked = el.value === data[el.name]; continue; }
        if (el.type === 'checkbox') {
            const k = `${el.name}=${el.value}`;
            if (k in data) el.checked = data[k];
            continue;
        }
        if (el.name in data) el.value = data[el.name];
    }
    return true;
}

export function dropDraft(key) { sessionStorage.removeItem(PREFIX + key); }

// Builds <form> with children and an error box; onSubmit(values, form) does the
// call and may throw ApiError. opts: {draft, label, submit, className, onDone}.
// The values are the named fields as strings (checkboxes as arrays of the
// checked values).
export function form(opts, children) {
    const err = h('div', {class: 'form-error', role: 'alert'});
    const btn = h('button', {type: 'submit', class: opts.danger ? 'danger' : 'primary'}, opts.submit || 'Spara');
    const f = h('form', {class: opts.className || 'form', 'aria-label': opts.label, novalidate: true},
        children, err, h('div', {class: 'actions'}, btn, opts.extra || null));
    let key = newKey();
    let busy = false;
    // After a successful submit the draft is gone; the 'change' a text field fires when
    // it loses focus (the screen re-rendered under it) must not write it back — only
    // typing again does.
    let sent = false;
    f.addEventListener('input', () => { sent = false; if (opts.draft) save(f, opts.draft); });
    f.addEventListener('change', () => { if (opts.draft && !sent) save(f, opts.draft); });
    f.addEventListener('submit', async ev => {
        ev.preventDefault();
        if (busy) return;
        clearErrors(f, err);
        const values = {};
        for (const el of f.elements) {
            if (!el.name) continue;
            if (el.type === 'checkbox') { (values[el.name] ||= []); if (el.checked) values[el.name].push(el.value); continue; }
            if (el.type === 'radio') { if (el.checked) values[el.name] = el.value; continue; }
            values[el.name] = el.value;
        }
        const missing = [...f.elements].find(el => el.required && !(el.type === 'radio' || el.type === 'checkbox'
            ? f.querySelector(`[name="${el.name}"]:checked`) : el.value.trim()));
        if (missing) {
            showError(f, err, {code: 'missing_field', field: missing.name});
            return;
        }
        busy = true;
        btn.disabled = true;
        try {
            await opts.onSubmit(values, f, key);
            sent = true;
            if (opts.draft) dropDraft(opts.draft);
            key = newKey();
        } catch (e) {
            if (e.code !== 'unauthorized') showError(f, err, e);
        } finally {
            busy = false;
            btn.disabled = false;
        }
    });
    if (opts.draft) restore(f, opts.draft);
    return f;
}

function clearErrors(f, err) {
    err.textContent = '';
    for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of f.querySelectorAll('.field-msg')) el.textContent = '';
}

// Shows an ApiError (or {code, field}) in the form once: when a field is at
// fault, next to it (marked invalid, tied by aria-describedby, focused, so a
// screen reader reads it once with the field); otherwise in the alert box.
export function showError(f, err, e) {
    const exact = e.field ? f.elements.namedItem(String(e.field)) : null; // "contacts[0].phone"
    const name = e.field ? (exact ? String(e.field) : String(e.field).replace(/[.[].*$/, '')) : null;
    let el = exact || (name ? f.elements.namedItem(name) : null);
    if (el && !el.setAttribute && el.length) el = el[0]; // a group of checkboxes or radios
    const text = errorText(e.code, name, el);
    const box = el && el.closest ? el.closest('fieldset, .field') : null;
    const msg = box ? box.querySelector('.field-msg') : null;
    if (el && el.setAttribute && msg) {
        msg.textContent = text;
        el.setAttribute('aria-invalid', 'true');
        el.focus();
        return;
    }
    err.textContent = text;
}

// Ctrl+Enter (or Cmd+Enter) submits the form the focus is in.
document.addEventListener('keydown', ev => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        const f = ev.target.closest && ev.target.closest('form');
        if (f) {
            ev.preventDefault();
            f.requestSubmit();
        }
    }
});
