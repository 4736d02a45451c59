// The wrapper collection's test script (tests/e2e/contract/test_newman.py): the meeting id
// of the create's answer becomes the run's "meetingId", as a Postman user copies it.
if (pm.response.code === 201) {
  pm.environment.set('meetingId', String(pm.response.json().id));
}
