"""The page's few lines of browser code, as strings for Gradio's `js` hooks (no gradio here).

PAGE_JS runs once at load: a citation link scrolls to its source and opens it (the copy under the answer on a
phone, else the sources panel, where an earlier answer's sources replace the newest's), and a dropdown's list
closes when focus leaves it. FOCUS_BOX puts the cursor back in the question box; SHOW_SIM shows or hides the
similarity of each source.
"""

PAGE_JS = """
() => {
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a.cite');
    if (!a) return;
    e.preventDefault();
    // '#src-TURN-N': passage N of answer number TURN (the chat's sanitizer drops data-*)
    const id = (a.getAttribute('href') || '').replace(/^#/, '');
    const bot = a.closest('[data-testid="bot"]') || document;
    const phone = bot.querySelector('.phone-sources');
    let target = null;
    if (phone && getComputedStyle(phone).display !== 'none') {
      phone.open = true;
      target = phone.querySelector('#m-' + CSS.escape(id));
    }
    if (!target) {
      target = document.querySelector('#sources #' + CSS.escape(id));
      const answer = target && target.closest('#sources .answer');
      if (answer) {  // that answer's sources, an earlier one's included, in place of those shown
        for (const other of document.querySelectorAll('#sources .answer')) {
          other.style.display = other === answer ? 'block' : 'none';
        }
      }
    }
    if (!target) return;
    for (let d = target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
    target.scrollIntoView({block: 'center'});
    target.classList.add('flash');
    setTimeout(() => target.classList.remove('flash'), 1500);
  }, true);
  document.addEventListener('focusout', (e) => {
    const input = e.target;
    const inDropdown = input && input.closest && input.closest('#program, #lesson, #language');
    if (!inDropdown || input.tagName !== 'INPUT') return;
    setTimeout(() => {
      if (document.activeElement === input) return;
      input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
      input.dispatchEvent(new Event('blur'));
    }, 0);
  }, true);
  setTimeout(() => document.querySelector('#question textarea')?.focus(), 300);
}
"""

FOCUS_BOX = "() => { document.querySelector('#question textarea')?.focus(); }"

SHOW_SIM = "(v) => { document.querySelector('#sources')?.classList.toggle('show-sim', v); }"
