// Modals are native <dialog> elements: showModal() gives focus containment,
// Escape-to-close and an inert background for free. This wrapper adds the close
// buttons, backdrop clicks, and returns focus to whatever opened the dialog.

const openers = new WeakMap();
const closeHandlers = new WeakMap();

export function setupModal(dialog, onClose) {
  if (onClose) closeHandlers.set(dialog, onClose);
  dialog.addEventListener('click', (event) => {
    if (dialog.dataset.locked === 'true') return;
    if (event.target.closest('[data-close]')) dialog.close();
    // A click on the dialog element itself (not its content) is a backdrop click.
    else if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    const handler = closeHandlers.get(dialog);
    if (handler) handler();
    const opener = openers.get(dialog);
    if (opener && opener.isConnected) opener.focus();
  });
}

export function openModal(dialog, opener = document.activeElement) {
  openers.set(dialog, opener);
  if (!dialog.open) dialog.showModal();
}

/** Modal that must not be dismissed (org picker on first visit): swallow Escape. */
export function setDismissable(dialog, dismissable) {
  dialog.dataset.locked = dismissable ? '' : 'true';
  dialog.querySelectorAll('[data-close]').forEach((b) => { b.hidden = !dismissable; });
}

document.addEventListener('cancel', (event) => {
  if (event.target instanceof HTMLDialogElement && event.target.dataset.locked === 'true') event.preventDefault();
}, true);
