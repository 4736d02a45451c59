// The wrapper collection's pre-request script (tests/e2e/contract/test_newman.py): what a
// Postman user types into a request's Params and Body tabs, taken from the run's
// variables, so the converted items themselves run as the importer made them.
//   a path variable          <- the variable of its name (userId, meetingId)
//   a body field F           <- the variable "body.F": JSON text in a raw JSON body,
//                               the text itself in a form field
//   form fields to untick    <- the variable "uncheck", comma-separated names
var vars = pm.variables;
pm.request.url.variables.each(function (v) {
  if (vars.has(v.key)) { v.value = vars.get(v.key); }
});
var body = pm.request.body;
var typed = function (key) {
  return vars.has('body.' + key) ? vars.get('body.' + key) : undefined;
};
var off = (vars.get('uncheck') || '').split(',');
if (body && body.mode === 'raw' && body.raw) {
  var fields = JSON.parse(body.raw);
  var changed = false;
  Object.keys(fields).forEach(function (key) {
    var text = typed(key);
    if (text !== undefined) { fields[key] = JSON.parse(text); changed = true; }
  });
  if (changed) {
    body.update({ mode: 'raw', raw: JSON.stringify(fields, null, 2), options: body.options });
  }
} else if (body && body.mode === 'formdata') {
  body.formdata.each(function (param) {
    var text = typed(param.key);
    if (text !== undefined) { param.value = text; }
    if (off.indexOf(param.key) >= 0) { param.disabled = true; }
  });
}
