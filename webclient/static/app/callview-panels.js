// CallView, part 2: the side panels (member list with the initiator's
// controls, "Invite members" with the embedding app's list), modal dialogs
// and the device-request prompt. Mixed into CallView.prototype by callview.js.

import { h, replaceChildren, avatar, icons } from './dom.js';
import { asUser } from './model.js';

/** @this {import('./callview.js').CallView} */
export const panelMethods = {
  // ---------- panels ----------

  togglePanel(which) {
    if (this.panel === which) {
      this.closePanel();
      return;
    }
    this.panel = which;
    if (which === 'invite') {
      const kit = this.kit;
      const pick = this.invitable().filter((x) => !x.disabled).slice(0, kit.options.maxInvitees);
      this.inviteSel = new Set(kit.options.defaultChecked ? pick.map((x) => x.user.id) : []);
    }
    this.renderPanel();
    this.panelEl.hidden = false;
    this.el.dataset.panel = which;
    this.btnMembers.setAttribute('aria-expanded', String(which === 'members'));
    this.btnInvite.setAttribute('aria-expanded', String(which === 'invite'));
    (this.panelEl.querySelector('[data-autofocus]') || this.panelEl.querySelector('.rf-panel-head button'))?.focus();
  },

  closePanel() {
    const which = this.panel;
    this.panel = null;
    this.panelEl.hidden = true;
    delete this.el.dataset.panel;
    this.btnMembers.setAttribute('aria-expanded', 'false');
    this.btnInvite.setAttribute('aria-expanded', 'false');
    (which === 'invite' ? this.btnInvite : this.btnMembers).focus({ preventScroll: true });
  },

  /** Users of the invite list: the embedding app's waitingSelectUsers, with their status in this call. */
  invitable() {
    const kit = this.kit;
    const c = kit.call;
    return kit.options.waitingSelectUsers.map(asUser).filter((u) => u.id !== kit.user.id).map((u) => {
      const member = c.members.has(u.id);
      const waiting = c.invitees.get(u.id)?.state === 'waiting';
      return { user: u, disabled: member || waiting, note: member ? 'In the call' : waiting ? 'Waiting…' : '' };
    });
  },

  renderPanel() {
    if (!this.panel) return;
    const head = (title) => h('div', { class: 'rf-panel-head' },
      h('h3', { id: 'rf-panel-title', text: title }),
      h('button', { type: 'button', class: 'rf-icon-btn', 'aria-label': `Close ${title.toLowerCase()}`, html: icons.close, onClick: () => this.closePanel() }));
    const focusKey = document.activeElement?.dataset?.focusKey;
    const hadFocus = this.panelEl.contains(document.activeElement);
    if (this.panel === 'members') replaceChildren(this.panelEl, head('Members'), this.membersList());
    else replaceChildren(this.panelEl, head('Invite members'), this.inviteForm());
    this.panelEl.dataset.panel = this.panel;
    // Focus stays in the panel: on the same control, or, when that control
    // is gone (its member was removed), on the panel's close button, so
    // that Escape still closes the panel.
    const again = focusKey && this.panelEl.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
    else if (hadFocus || this._panelFocusPending) this.panelEl.querySelector('.rf-panel-head button')?.focus();
    this._panelFocusPending = false;
  },

  membersList() {
    const kit = this.kit;
    const c = kit.call;
    const me = kit.user.id;
    const host = kit.isInitiator;
    const rows = [];
    const members = [c.members.get(me) || { user: kit.user }, ...kit.others];
    for (const m of members) {
      const self = m.user.id === me;
      const micOn = self ? kit.local.micOn : m.microphone;
      const camOn = self ? kit.local.camOn : m.camera;
      const name = m.user.name;
      const actions = [];
      if (host && !self) {
        actions.push(h('button', {
          type: 'button', class: `rf-icon-btn${micOn ? '' : ' rf-off'}`, html: micOn ? icons.mic : icons.micOff,
          'aria-label': micOn ? `Turn off ${name}'s microphone` : `Ask ${name} to turn on their microphone`,
          title: micOn ? 'Turn microphone off' : 'Ask to turn microphone on',
          dataset: { action: micOn ? 'mic-off' : 'mic-ask', focusKey: `mic:${m.user.id}` },
          onClick: () => kit.setRemoteDevice(m.user.id, { microphone: !micOn }),
        }));
        if (c.type === 'video') {
          actions.push(h('button', {
            type: 'button', class: `rf-icon-btn${camOn ? '' : ' rf-off'}`, html: camOn ? icons.cam : icons.camOff,
            'aria-label': camOn ? `Turn off ${name}'s camera` : `Ask ${name} to turn on their camera`,
            title: camOn ? 'Turn camera off' : 'Ask to turn camera on',
            dataset: { action: camOn ? 'cam-off' : 'cam-ask', focusKey: `cam:${m.user.id}` },
            onClick: () => kit.setRemoteDevice(m.user.id, { camera: !camOn }),
          }));
        }
        actions.push(h('button', {
          type: 'button', class: 'rf-icon-btn rf-icon-danger', html: icons.kick,
          'aria-label': `Remove ${name} from the call`, title: 'Remove from call',
          dataset: { action: 'remove', focusKey: `rm:${m.user.id}` },
          onClick: () => this.dialog({
            title: `Remove ${name}?`, text: `${name} will be removed from the call.`,
            ok: 'Remove', okClass: 'rf-btn-danger', cancel: 'Cancel', label: 'remove-confirm',
            onOk: () => { this._panelFocusPending = true; return kit.removeMember(m.user.id); },
          }),
        }));
      } else {
        actions.push(h('span', { class: `rf-state-icon${micOn ? '' : ' rf-off'}`, html: micOn ? icons.mic : icons.micOff, title: micOn ? 'Microphone on' : 'Microphone off' }));
        if (c.type === 'video') actions.push(h('span', { class: `rf-state-icon${camOn ? '' : ' rf-off'}`, html: camOn ? icons.cam : icons.camOff, title: camOn ? 'Camera on' : 'Camera off' }));
      }
      const tags = [self ? 'You' : null, c.initiator.id === m.user.id ? 'Host' : null].filter(Boolean);
      rows.push(h('li', { class: 'rf-member', dataset: { userId: m.user.id, microphone: String(!!micOn), camera: String(!!camOn) } },
        avatar(m.user, 'sm'),
        h('div', { class: 'rf-member-name' }, h('span', { text: name }), tags.length ? h('small', { text: tags.join(' · ') }) : null,
          h('span', { class: 'rf-sr', text: `, microphone ${micOn ? 'on' : 'off'}${c.type === 'video' ? `, camera ${camOn ? 'on' : 'off'}` : ''}` })),
        h('div', { class: 'rf-member-actions' }, actions)));
    }
    const waiting = kit.waiting;
    const wrows = waiting.map((iv) => h('li', { class: 'rf-member rf-member-waiting', dataset: { userId: iv.user.id } },
      avatar(iv.user, 'sm'),
      h('div', { class: 'rf-member-name' }, h('span', { text: iv.user.name }), h('small', { text: iv.received ? 'Ringing…' : 'Calling…' })),
      h('div', { class: 'rf-member-actions' }, kit.canCancelInvite(iv.user.id) ? h('button', {
        type: 'button', class: 'rf-btn rf-btn-sm rf-btn-danger-soft', text: 'Cancel', 'aria-label': `Cancel invitation to ${iv.user.name}`,
        dataset: { focusKey: `cancel:${iv.user.id}` },
        onClick: () => kit.cancelInvite(iv.user.id),
      }) : null)));
    return h('div', { class: 'rf-panel-body' },
      h('p', { class: 'rf-panel-sub', text: `${members.length} in the call` }),
      h('ul', { class: 'rf-members', 'aria-label': 'In the call' }, rows),
      wrows.length ? h('p', { class: 'rf-panel-sub', text: `${wrows.length} waiting` }) : null,
      wrows.length ? h('ul', { class: 'rf-members', 'aria-label': 'Waiting to accept' }, wrows) : null,
      kit.canInvite ? h('button', { type: 'button', class: 'rf-btn rf-btn-secondary rf-btn-wide', 'data-autofocus': true, onClick: () => this.togglePanel('invite') },
        h('span', { html: icons.userPlus }), 'Invite members') : null);
  },

  inviteForm() {
    const kit = this.kit;
    const max = kit.options.maxInvitees;
    const list = this.invitable();
    const sel = this.inviteSel;
    const count = h('span', { class: 'rf-count', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'rf-btn rf-btn-primary rf-btn-wide' });
    const extra = h('input', { id: 'rf-invite-extra', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', placeholder: 'user ids, comma separated', 'data-focus-key': 'extra' });
    const extraIds = () => extra.value.split(/[\s,;]+/).filter((x) => /^[A-Za-z0-9_.@-]{1,64}$/.test(x) && x !== kit.user.id && !kit.call.members.has(x));
    const refresh = () => {
      const n = new Set([...sel, ...extraIds()]).size;
      count.textContent = `${n} selected (max ${max})`;
      send.textContent = n ? `Invite ${n}` : 'Invite';
      send.disabled = n === 0 || n > max;
      for (const cb of boxes) cb.disabled = cb._locked || (!cb.checked && sel.size >= max);
    };
    const boxes = [];
    const items = list.map((x) => {
      const cb = h('input', { type: 'checkbox', id: `rf-inv-${x.user.id}`, value: x.user.id, 'data-focus-key': `inv:${x.user.id}` });
      cb.checked = !x.disabled && sel.has(x.user.id);
      cb._locked = x.disabled;
      cb.addEventListener('change', () => {
        if (cb.checked) sel.add(x.user.id); else sel.delete(x.user.id);
        refresh();
      });
      boxes.push(cb);
      return h('li', { class: `rf-invitee${x.disabled ? ' rf-disabled' : ''}`, dataset: { userId: x.user.id } },
        cb,
        h('label', { for: `rf-inv-${x.user.id}` }, avatar(x.user, 'sm'), h('span', { class: 'rf-member-name' }, h('span', { text: x.user.name }), x.note ? h('small', { text: x.note }) : h('small', { text: x.user.id }))));
    });
    extra.addEventListener('input', refresh);
    const form = h('form', {
      class: 'rf-panel-body rf-invite-form',
      onSubmit: async (e) => {
        e.preventDefault();
        const known = new Map(list.map((x) => [x.user.id, x.user]));
        const ids = [...new Set([...sel, ...extraIds()])].slice(0, max);
        if (!ids.length) return;
        send.disabled = true;
        await kit.inviteMore(ids.map((id) => known.get(id) || id));
        this.closePanel();
      },
    },
    items.length ? h('ul', { class: 'rf-invitees', 'aria-label': 'People you can invite' }, items)
      : h('p', { class: 'rf-hint', text: 'No suggested people. Enter user ids below.' }),
    h('label', { for: 'rf-invite-extra', text: 'Or invite by user id' }), extra,
    h('div', { class: 'rf-invite-foot' }, count, send));
    const firstBox = boxes.find((b) => !b.disabled);
    (firstBox || extra).setAttribute('data-autofocus', '');
    refresh();
    return form;
  },

  // ---------- dialogs ----------

  /**
   * A small modal dialog with OK and Cancel. Escape or Cancel closes it.
   * @param {{title: string, text: string, ok: string, cancel: string, okClass?: string, onOk: Function, onCancel?: Function, label?: string}} d
   */
  dialog(d) {
    const opener = document.activeElement;
    const close = () => {
      box.remove();
      if (opener && document.contains(opener)) opener.focus({ preventScroll: true });
    };
    const okBtn = h('button', { type: 'button', class: `rf-btn ${d.okClass || 'rf-btn-primary'}`, text: d.ok, onClick: () => { close(); d.onOk(); } });
    const cancelBtn = h('button', { type: 'button', class: 'rf-btn rf-btn-secondary', text: d.cancel, onClick: () => { close(); d.onCancel?.(); } });
    const box = h('div', { class: 'rf-dialog-backdrop', dataset: { dialog: d.label || '' } },
      h('div', { class: 'rf-dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'rf-dlg-title', 'aria-describedby': 'rf-dlg-text' },
        h('h3', { id: 'rf-dlg-title', text: d.title }),
        h('p', { id: 'rf-dlg-text', text: d.text }),
        h('div', { class: 'rf-row rf-row-end' }, cancelBtn, okBtn)));
    box._cancel = () => { close(); d.onCancel?.(); };
    box.addEventListener('keydown', (e) => trapTab(e, box));
    this.dialogs.append(box);
    okBtn.focus();
    return box;
  },

  renderPrompt() {
    const p = this.kit.prompt;
    const cur = this.dialogs.querySelector('[data-dialog="device-request"]');
    if (!p) {
      cur?.remove();
      return;
    }
    if (cur) return;
    const what = [p.microphone ? 'microphone' : null, p.camera ? 'camera' : null].filter(Boolean).join(' and ');
    this.dialog({
      title: `${p.by.name} asks you to turn on your ${what}`,
      text: 'Nothing changes unless you agree.',
      ok: `Turn on ${what}`, cancel: 'Not now', label: 'device-request',
      onOk: () => this.kit.answerPrompt(true),
      onCancel: () => this.kit.answerPrompt(false),
    });
  },

};

function trapTab(e, box) {
  if (e.key !== 'Tab') return;
  const f = [...box.querySelectorAll('button, input, [tabindex]:not([tabindex="-1"])')].filter((x) => !x.disabled);
  if (!f.length) return;
  const first = f[0];
  const last = f[f.length - 1];
  if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
}
