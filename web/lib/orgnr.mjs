// orgnr.mjs: the organisationsnummer/personnummer check of core/domain/orgnr.c, in
// JavaScript, so the registration form can say what is wrong while it is typed.
// The server checks again; the codes are the same as its 422 codes.
//
// Accepted: 10 digits (5560360793, 556036-0793), 12 digits with "16" for a legal
// person (16556036-0793) or the century for a personnummer (19/20…); at most one
// separator ("-" or "+", before the last four digits). Digits 3–4 ≥ 20 mean a
// legal person, whose first digit must be a legal-form group (not 0 or 4);
// otherwise a personnummer, whose date must exist (day + 60 for samordningsnummer).
// Last, the Luhn digit over the 10 digits.

function luhnOk(ten) {
    let sum = 0;
    for (let i = 0; i < 10; i++) {
        const v = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
        sum += Math.floor(v / 10) + (v % 10);
    }
    return sum % 10 === 0;
}

function dateExists(y, m, d) {
    if (m < 1 || m > 12 || d < 1) return false;
    const dt = new Date(Date.UTC(y, m - 1, d));
    return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

function personDateOk(ten, ca, cb) {
    const yy = Number(ten.slice(0, 2)), month = Number(ten.slice(2, 4));
    let day = Number(ten.slice(4, 6));
    if (day > 60) day -= 60;
    return dateExists(ca * 100 + yy, month, day) || dateExists(cb * 100 + yy, month, day);
}

const GROUPS = {
    1: 'Dödsbo', 2: 'Stat, region, kommun eller församling', 3: 'Utländskt företag', 5: 'Aktiebolag',
    6: 'Enkelt bolag', 7: 'Ekonomisk förening eller bostadsrättsförening', 8: 'Ideell förening eller stiftelse',
    9: 'Handelsbolag eller kommanditbolag',
};

// {code: 'ok', digits, formatted, personnummer, group} or {code: 'invalid_orgnr_…'}.
export function checkOrgnr(input) {
    const s = String(input ?? '').trim();
    if (!s) return {code: 'invalid_orgnr_empty'};
    let dig = '', sep = '', sepAt = -1;
    for (const ch of s) {
        if (ch >= '0' && ch <= '9') {
            if (dig.length === 12) return {code: 'invalid_orgnr_format'};
            dig += ch;
        } else if ((ch === '-' || ch === '+') && !sep) {
            sep = ch;
            sepAt = dig.length;
        } else {
            return {code: 'invalid_orgnr_format'};
        }
    }
    const nd = dig.length;
    if (nd !== 10 && nd !== 12) return {code: 'invalid_orgnr_format'};
    if (sep && sepAt !== nd - 4) return {code: 'invalid_orgnr_format'};
    if (sep === '+' && nd === 12) return {code: 'invalid_orgnr_format'};
    const ten = dig.slice(nd - 10);
    const mid = Number(ten.slice(2, 4));
    let person, ca = 19, cb = 20;
    if (nd === 12) {
        const prefix = Number(dig.slice(0, 2));
        if (prefix === 16) {
            if (mid < 20) return {code: 'invalid_orgnr_middle_digits'};
            person = false;
        } else if (prefix === 19 || prefix === 20) {
            if (mid >= 20) return {code: 'invalid_orgnr_prefix'};
            person = true;
            ca = cb = prefix;
        } else {
            return {code: 'invalid_orgnr_prefix'};
        }
    } else if (mid >= 20) {
        if (sep === '+') return {code: 'invalid_orgnr_format'};
        person = false;
    } else {
        if (mid < 1 || mid > 12) return {code: 'invalid_orgnr_middle_digits'};
        person = true;
        if (sep === '+') { ca = 18; cb = 19; }
    }
    let group = 0;
    if (person) {
        if (!personDateOk(ten, ca, cb)) return {code: 'invalid_orgnr_date'};
    } else {
        group = Number(ten[0]);
        if (!GROUPS[group]) return {code: 'invalid_orgnr_group'};
    }
    if (!luhnOk(ten)) return {code: 'invalid_orgnr_checksum'};
    return {
        code: 'ok', digits: ten, formatted: `${ten.slice(0, 6)}-${ten.slice(6)}`, personnummer: person,
        groupName: person ? 'Enskild firma (personnummer)' : GROUPS[group],
    };
}

// Whether what is typed looks like a number rather than a name (for the search).
export function looksLikeNumber(s) {
    return /^[\s\d+-]+$/.test(s) && s.replace(/\D/g, '').length >= 6;
}
