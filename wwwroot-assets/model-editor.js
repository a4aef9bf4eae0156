// KafkaMl: the model editor's diagnostics as Monaco markers (BlazorMonaco has no marker API of its own).
window.kafkaMlEditor = {
    // markers: [{ line, column, endLine, endColumn, message, severity: "error" | "warning" | "info" }]
    setMarkers: function (editorId, markers) {
        if (!window.monaco || !window.blazorMonaco) return false;
        const holder = window.blazorMonaco.editors.find(e => e.id === editorId);
        if (!holder) return false;
        const model = holder.editor.getModel();
        const severities = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info };
        monaco.editor.setModelMarkers(model, "kafkaml", markers.map(m => ({
            startLineNumber: m.line,
            startColumn: m.column,
            endLineNumber: m.endLine,
            endColumn: m.endColumn,
            message: m.message,
            severity: severities[m.severity] ?? monaco.MarkerSeverity.Info,
        })));
        return true;
    },
};
