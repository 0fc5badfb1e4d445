// Where the browser keeps a participant's token: one entry per workshop in localStorage.

/** The localStorage key of the participant token for a workshop. */
export function tokenKey(workshopId) {
  return `lernraum:token:${workshopId}`;
}
