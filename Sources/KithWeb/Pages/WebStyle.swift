/// The one stylesheet, served from this server (the Content-Security-Policy
/// allows no other origin and no inline style). Logical properties
/// (margin-inline-start, text-align: start) so one sheet lays out English
/// left to right and Arabic right to left.
enum WebStyle {
    static let css = """
        :root { color-scheme: light dark; --accent: #5b3f8c; --muted: #666; --line: #ccc; --warn: #8a4b00; --bad: #a11; }
        @media (prefers-color-scheme: dark) { :root { --accent: #c9b3f0; --muted: #aaa; --line: #444; --warn: #f0b060; --bad: #f77; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 17px/1.55 system-ui, "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", Tahoma, sans-serif; }
        :lang(ar) body, body:lang(ar) { font-size: 18px; line-height: 1.7; }
        .skip { position: absolute; inset-inline-start: -999px; }
        .skip:focus { inset-inline-start: 8px; top: 8px; background: Canvas; padding: 4px 8px; }
        header { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: center; padding: 10px 20px; border-block-end: 1px solid var(--line); }
        header .name { font-weight: 700; font-size: 20px; color: var(--accent); margin-inline-end: 8px; }
        header nav { display: flex; gap: 16px; flex: 1; }
        header form { margin: 0; }
        main { max-width: 60rem; padding: 16px 20px 48px; }
        h1 { font-size: 26px; margin: 8px 0 16px; }
        h2 { font-size: 20px; margin: 28px 0 8px; }
        a { color: var(--accent); }
        label { display: block; font-weight: 600; margin-block: 12px 4px; }
        input[type=text], input[type=search], select, textarea { font: inherit; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; min-width: min(28rem, 100%); background: Field; color: FieldText; }
        button { font: inherit; padding: 7px 16px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: Canvas; cursor: pointer; }
        button.quiet { background: transparent; color: var(--accent); }
        .row { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
        .hint, .muted { color: var(--muted); font-size: 15px; }
        .notice { border-inline-start: 4px solid var(--accent); padding: 6px 12px; margin: 12px 0; }
        .warning { border-inline-start: 4px solid var(--warn); padding: 6px 12px; margin: 12px 0; }
        .error { border-inline-start: 4px solid var(--bad); padding: 6px 12px; margin: 12px 0; }
        table { border-collapse: collapse; width: 100%; margin: 8px 0; }
        th, td { text-align: start; vertical-align: top; padding: 6px 10px; border-block-end: 1px solid var(--line); }
        th { font-size: 15px; color: var(--muted); font-weight: 600; }
        code { white-space: nowrap; }
        code, .id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 15px; }
        .fields span { display: inline-block; }
        .nowrap { white-space: nowrap; }
        .fields span + span::before { content: " · "; color: var(--muted); }
        .withheld { color: var(--muted); font-style: italic; }
        .note { white-space: pre-wrap; }
        ol.notes { padding-inline-start: 1.2em; }
        ol.notes li { margin-block-end: 12px; }
        textarea { width: 100%; }
        fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; }
        label.choice { font-weight: 400; display: block; margin: 6px 0; }
        td form { margin: 0; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; }
        dt { color: var(--muted); }
        dd { margin: 0; }
        """
}
