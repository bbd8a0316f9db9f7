// Which Mist organisation the page shows. With one visible org the server answers
// /api/organization directly; with several it answers 409 and the list, and the
// user picks one. The choice is kept in localStorage and sent as org_id everywhere.
import { el, $, clear } from './dom.js';
import { getJSON, setOrgId } from './api.js';
import { openModal, setupModal, setDismissable } from './modal.js';

const STORAGE_KEY = 'mistcircuitstats.org_id';

const storage = {
  get() {
    try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
  },
  set(value) {
    try {
      if (value) localStorage.setItem(STORAGE_KEY, value);
      else localStorage.removeItem(STORAGE_KEY);
    } catch { /* storage disabled: the choice lasts for this page only */ }
  },
};

const dialog = () => $('#org-modal');
let pending = null; // resolve() of the picker currently shown
setupModal(dialog(), () => {
  if (pending) pending(null);
  pending = null;
});

/** Show the picker; resolves the chosen org id (or null when dismissed). */
function pickOrg(orgs, dismissable, opener) {
  const list = $('#org-list');
  clear(list);
  for (const org of orgs) {
    const button = el('button', { type: 'button', class: 'org-choice', dataset: { orgId: org.org_id } },
      el('bdi', { class: 'org-choice-name', title: org.name ?? org.org_id, text: org.name ?? org.org_id }),
      org.role ? el('span', { class: 'muted small', text: org.role }) : null);
    list.append(el('li', {}, button));
  }
  setDismissable(dialog(), dismissable);
  return new Promise((resolve) => {
    pending = resolve;
    list.onclick = (event) => {
      const choice = event.target.closest('button.org-choice');
      if (!choice) return;
      pending = null;
      resolve(choice.dataset.orgId);
      dialog().close();
    };
    openModal(dialog(), opener);
    const first = list.querySelector('button');
    if (first) first.focus();
  });
}

/** Resolve the organisation to show: {org_id, name, demo}. */
export async function resolveOrganization() {
  const remembered = storage.get();
  if (remembered) {
    setOrgId(remembered);
    try {
      return (await getJSON('/api/organization')).data;
    } catch (err) {
      // The remembered org is no longer visible to these tokens: forget it and ask again.
      if (![400, 403, 404, 409].includes(err.status)) throw err;
      storage.set(null);
      setOrgId(null);
    }
  }
  // Ask for the list first: with several orgs the picker appears without provoking the 409.
  let orgs = null;
  try {
    orgs = (await getJSON('/api/organizations')).data;
  } catch {
    orgs = null; // fall back to /api/organization, which explains itself
  }
  if (Array.isArray(orgs) && orgs.length > 1) {
    const chosen = await pickOrg(orgs, false);
    storage.set(chosen);
    setOrgId(chosen);
    return (await getJSON('/api/organization')).data;
  }
  try {
    const org = (await getJSON('/api/organization')).data;
    if (org && org.org_id) setOrgId(org.org_id);
    return org;
  } catch (err) {
    if (err.status !== 409 || !Array.isArray(err.body.orgs)) throw err;
    const chosen = await pickOrg(err.body.orgs, false);
    storage.set(chosen);
    setOrgId(chosen);
    return (await getJSON('/api/organization')).data;
  }
}

/** Let the user switch org when the tokens see more than one. */
export async function enableOrgSwitch(badge) {
  let orgs;
  try {
    orgs = (await getJSON('/api/organizations')).data;
  } catch {
    return; // the badge stays a plain label
  }
  if (!Array.isArray(orgs) || orgs.length < 2) return;
  badge.classList.add('is-switchable');
  badge.title = 'Switch organisation';
  badge.addEventListener('click', async () => {
    const chosen = await pickOrg(orgs, true, badge);
    if (!chosen) return;
    storage.set(chosen);
    window.location.reload();
  });
}
