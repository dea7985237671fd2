// The wizard's own words in English and German. Messages from the servers and findings come from Rust
// (in English) and are shown as they are.
const en = {
  setUp: "Set up", manage: "Manage", diagnose: "Diagnose", logs: "Logs", logsTitle: "Open logs folder",
  demoBanner: "Demo servers — nothing real is changed",
  tryDemo: "Try with demo servers", demoHint: "for trainings: simulated servers, nothing real is changed",
  url: "URL", apiToken: "API token", getToken: "Get a token",
  browserSignIn: "Sign in with browser", orAdmin: "or admin user", andAppPassword: "and app password",
  waitingGrant: "Waiting for the grant in the browser:", cancel: "Cancel", signedInBrowser: "Signed in through the browser as",
  remember: "Remember on this computer (system keyring)", signInBoth: "Sign in to both",
  signedInAs: "signed in as", versionUnknown: "version unknown",
  allPassed: "All checks passed.", preflight: "Preflight", cannotUndo: "Cannot be undone by a rollback", fix: "Fix",
  stageSignIn: "Sign in", stageReview: "Preflight & plan", stageApply: "Apply & proof", stageDone: "Done",
  simulateFailure: "Simulate a failure on the next apply", apply: "Apply to both servers", checkAgain: "Check again",
  willFail: "The next apply will fail at Nextcloud (demo).",
  signInFirst: "Sign in (or start the demo) first.", diagnoseHint: "Runs every check against both servers; changes nothing.",
  runDiagnose: "Diagnose the connection", couldNotCheck: "Could not check",
  connectionPicture: "The connection's links", testSignIn: "Test sign-in",
  exportMarkdown: "Export report (Markdown)", exportJson: "Export report (JSON)", openReport: "Open a report…",
  exported: "Saved: {path}", reportFrom: "Report {path}, made by version {version} ({language}); nothing here is live.",
  reportFromOlder: "Report {path}, made by an earlier version; nothing here is live.", testSignInHint: "Sign in once through the identity provider as a user of both servers: both servers then answer for that user's token. Nothing is stored.",
  testSignInExternal: "External identity provider: OpenProject's client there", testSignInClientId: "Client id", testSignInClientSecret: "Client secret",
  showConnection: "Show the connection", manageHint: "Shows the connection as both servers see it; changes nothing.",
  noStorage: "OpenProject has no storage for this Nextcloud.", storage: "Storage",
  resetNextcloud: "Replace Nextcloud OAuth values", rotatePassword: "Rotate the app password", deleteConnection: "Delete the connection",
  proven: "proven: {n} checks passed",
  cancelApply: "Cancel", cancelRollBack: "Cancel and roll back",
  windowSignIn: "Sign in with OpenProject's page", orToken: "or paste an API token",
  signedInWindow: "Signed in through OpenProject's page as", waitingWindow: "Sign in in the OpenProject window…",
  demoSelf: "Demo: sign in yourself", demoAccounts: "Demo accounts — OpenProject: {op}; Nextcloud: {nc}",
  projectsTitle: "Enable the storage in projects", enableProjects: "Enable in the chosen projects",
  enableProjectsHandoff: "Open OpenProject's pages for the chosen projects", addedNow: "added now", archivedUnarchive: "archived: unarchive it in OpenProject first",
  archived: "archived", alreadyEnabled: "already enabled", added: "Added", already: "Already enabled",
  archivedSkipped: "Archived (skipped — unarchive first)", refused: "Refused", handoff: "Add them on OpenProject's page:",
  openPage: "Open page", resetOpenProject: "Replace OpenProject OAuth values", stageProjects: "Projects",
  windowOnly: "needs the sign-in with OpenProject's page; otherwise a hand-off",
  unreadableJob: "A file in the job folder could not be read as a setup job and was left alone: {path} ({reason}). Check it, then move it away.",
  willUse: "Will use {url} — the server's address under the page you pasted.",
  setupOptions: "What to set up", storageName: "Storage name", withProjectFolders: "With automatically managed project folders",
  replaceExisting: "Replace an existing storage for this Nextcloud, or Nextcloud settings for another OpenProject (its file links are lost)",
  methodTitle: "How users' requests are authorised", methodOauth: "Two-way OAuth (an OAuth app on each side)",
  ssoHint: "With SSO both servers trust one identity provider: no OAuth apps are copied, and users sign in through it. The check above says what each way needs.",
  ssoHub: "SSO with Nextcloud Hub as the identity provider", ssoExternal: "SSO with an external identity provider", ssoDiscovery: "Discovery address",
  ssoTokenExchange: "With token exchange", ssoProvider: "Its user_oidc provider in Nextcloud (identifier)",
  ssoNewProvider: "…or create one with the identifier", ssoNextcloudClient: "Nextcloud's client id at the identity provider",
  ssoNextcloudSecret: "Its client secret", ssoOpenProjectClient: "OpenProject's client id at the identity provider",
  ssoExchangeScope: "Token exchange scope", ssoOpenProjectProvider: "Name of OpenProject's OpenID provider",
  idpTitle: "Identity provider", idpAsIs: "OpenProject sends users' identity-provider tokens to Nextcloud as they are.",
  idpExchange: "OpenProject exchanges users' tokens for the audience “{audience}” before it calls Nextcloud.",
  idpTokens: "users' tokens",
  handoffTitle: "One step by hand: OpenProject's OpenID provider", handoffIntro: "OpenProject has no API for it: open its page and enter these values.",
  handoffName: "Display name", handoffClientId: "Client ID", handoffSecret: "Client secret", handoffScopes: "Scopes",
  handoffCallback: "Redirect URI (at the identity provider)", handoffExchange: "Grant types: include urn:ietf:params:oauth:grant-type:token-exchange.",
  reveal: "Reveal", providerCreate: "Make it in OpenProject", providerCreateHint: "on its admin page, with your OpenProject sign-in",
  providerWatch: "Watch for it", providerWatching: "Watching OpenProject's sign-in page…",
  providerSeen: "OpenProject now offers sign-in through /auth/{slug}.",
  providerNotSeen: "Not offered yet: once saved, save the provider once more (OpenProject offers it after the save that follows its discovery).",
  doIt: "Choose it", inAssistant: "In this app", remedySetup: "Set up the connection", remedySetupReplacing: "Set up again, replacing what is there",
  remedyAnotherName: "Set up with another storage name", remedyEnableProjects: "Enable the storage in projects (Projects step)",
  enabledIn: "enabled in {project}",
  watchProjects: "I added them: watch for them", stopWatching: "Stop watching",
  replaceByHand: "OpenProject's page cannot be used from here, so nothing was changed. Replace the values on OpenProject's page yourself; the assistant watches for the new client ID and then takes the secret from you.",
  openAndWatch: "Open the page and watch", watchingReplace: "Watching OpenProject for the new client ID… click \"Replace OpenProject OAuth\" on the page.",
  newClientSeen: "OpenProject shows the new client ID", pasteSecret: "Paste the client secret the page shows", giveToNextcloud: "Give both to Nextcloud",
  signOut: "Sign out", copy: "Copy", copied: "Copied ✔", copyFailed: "Select and copy by hand",
  expiresIn: "the sign-in expires after 20 minutes",
  folderMode: "Project folders", folderAutomatic: "Automatic: OpenProject manages a folder per project",
  folderInactive: "No project folder", folderManual: "An existing Nextcloud folder:",
  folderLinkHint: "its link from Nextcloud's Files app, or its file id", folderLinkInvalid: "That is neither a Nextcloud folder link nor a file id.",
  search: "Search", subProjects: "with their sub-projects",
  willRecover: "An earlier setup of this pair was interrupted (during {phase}); applying rolls it back on both servers first.",
  interruptedFound: "An interrupted setup was found: {op} ⇄ {nc} (during {phase}). Sign in to these two servers: applying rolls it back first.",
  atTime: "at", phase: "phase", undoRecorded: "undo recorded before the change", readBack: "confirmed through GET /api/v3/project_storages",
};
const de: typeof en = {
  setUp: "Einrichten", manage: "Verwalten", diagnose: "Diagnose", logs: "Protokolle", logsTitle: "Protokollordner öffnen",
  demoBanner: "Demo-Server — nichts Echtes wird verändert",
  tryDemo: "Mit Demo-Servern ausprobieren", demoHint: "für Schulungen: simulierte Server, nichts Echtes wird verändert",
  url: "URL", apiToken: "API-Token", getToken: "Token erstellen",
  browserSignIn: "Im Browser anmelden", orAdmin: "oder Admin-Benutzer", andAppPassword: "und App-Passwort",
  waitingGrant: "Warte auf die Freigabe im Browser:", cancel: "Abbrechen", signedInBrowser: "Im Browser angemeldet als",
  remember: "Auf diesem Computer merken (Schlüsselbund des Systems)", signInBoth: "Bei beiden anmelden",
  signedInAs: "angemeldet als", versionUnknown: "Version unbekannt",
  allPassed: "Alle Prüfungen bestanden.", preflight: "Vorabprüfung", cannotUndo: "Kann ein Rollback nicht rückgängig machen", fix: "Behebung",
  stageSignIn: "Anmelden", stageReview: "Prüfung & Plan", stageApply: "Anwenden & Nachweis", stageDone: "Fertig",
  simulateFailure: "Beim nächsten Anwenden einen Fehler simulieren", apply: "Auf beide Server anwenden", checkAgain: "Erneut prüfen",
  willFail: "Das nächste Anwenden scheitert bei Nextcloud (Demo).",
  signInFirst: "Zuerst anmelden (oder die Demo starten).", diagnoseHint: "Führt alle Prüfungen auf beiden Servern aus; ändert nichts.",
  runDiagnose: "Verbindung diagnostizieren", couldNotCheck: "Nicht prüfbar",
  connectionPicture: "Die Verbindungen des Paars", testSignIn: "Test-Anmeldung",
  exportMarkdown: "Bericht exportieren (Markdown)", exportJson: "Bericht exportieren (JSON)", openReport: "Bericht öffnen…",
  exported: "Gespeichert: {path}", reportFrom: "Bericht {path}, erstellt von Version {version} ({language}); nichts davon ist live.",
  reportFromOlder: "Bericht {path}, erstellt von einer früheren Version; nichts davon ist live.", testSignInHint: "Einmal über den Identitätsanbieter als Benutzer beider Server anmelden: Beide Server prüfen dann das Token dieses Benutzers. Nichts wird gespeichert.",
  testSignInExternal: "Externer Identitätsanbieter: OpenProjects Client dort", testSignInClientId: "Client-ID", testSignInClientSecret: "Client-Geheimnis",
  showConnection: "Verbindung anzeigen", manageHint: "Zeigt die Verbindung, wie beide Server sie sehen; ändert nichts.",
  noStorage: "OpenProject hat keinen Speicher für diese Nextcloud.", storage: "Speicher",
  resetNextcloud: "Nextcloud-OAuth-Werte ersetzen", rotatePassword: "App-Passwort erneuern", deleteConnection: "Verbindung löschen",
  proven: "nachgewiesen: {n} Prüfungen bestanden",
  cancelApply: "Abbrechen", cancelRollBack: "Abbrechen und zurückrollen",
  windowSignIn: "Über die OpenProject-Seite anmelden", orToken: "oder ein API-Token einfügen",
  signedInWindow: "Über die OpenProject-Seite angemeldet als", waitingWindow: "Im OpenProject-Fenster anmelden…",
  demoSelf: "Demo: selbst anmelden", demoAccounts: "Demo-Konten — OpenProject: {op}; Nextcloud: {nc}",
  projectsTitle: "Speicher in Projekten aktivieren", enableProjects: "In den gewählten Projekten aktivieren",
  enableProjectsHandoff: "OpenProjects Seiten für die gewählten Projekte öffnen", addedNow: "eben hinzugefügt", archivedUnarchive: "archiviert: zuerst in OpenProject wiederherstellen",
  archived: "archiviert", alreadyEnabled: "bereits aktiv", added: "Hinzugefügt", already: "Bereits aktiv",
  archivedSkipped: "Archiviert (übersprungen — erst dearchivieren)", refused: "Abgelehnt", handoff: "Auf der OpenProject-Seite hinzufügen:",
  openPage: "Seite öffnen", resetOpenProject: "OpenProject-OAuth-Werte ersetzen", stageProjects: "Projekte",
  windowOnly: "braucht die Anmeldung über die OpenProject-Seite; sonst eine Übergabe",
  unreadableJob: "Eine Datei im Auftragsordner ließ sich nicht als Einrichtungsauftrag lesen und wurde nicht angerührt: {path} ({reason}). Bitte prüfen und dann verschieben.",
  willUse: "Verwendet wird {url} — die Adresse des Servers unter der eingefügten Seite.",
  setupOptions: "Was eingerichtet wird", storageName: "Name des Speichers", withProjectFolders: "Mit automatisch verwalteten Projektordnern",
  replaceExisting: "Einen vorhandenen Speicher für diese Nextcloud ersetzen, oder Nextcloud-Einstellungen für ein anderes OpenProject (dessen Dateiverknüpfungen gehen verloren)",
  methodTitle: "Wie Anfragen der Benutzer autorisiert werden", methodOauth: "Zwei-Wege-OAuth (eine OAuth-App auf jeder Seite)",
  ssoHint: "Mit SSO vertrauen beide Server einem Identitätsanbieter: keine OAuth-Apps werden kopiert, Benutzer melden sich über ihn an. Die Prüfung oben sagt, was jeder Weg braucht.",
  ssoHub: "SSO mit Nextcloud Hub als Identitätsanbieter", ssoExternal: "SSO mit einem externen Identitätsanbieter", ssoDiscovery: "Discovery-Adresse",
  ssoTokenExchange: "Mit Token-Austausch", ssoProvider: "Sein user_oidc-Anbieter in Nextcloud (Kennung)",
  ssoNewProvider: "…oder einen anlegen mit der Kennung", ssoNextcloudClient: "Client-ID von Nextcloud beim Identitätsanbieter",
  ssoNextcloudSecret: "Ihr Client-Geheimnis", ssoOpenProjectClient: "Client-ID von OpenProject beim Identitätsanbieter",
  ssoExchangeScope: "Scope für den Token-Austausch", ssoOpenProjectProvider: "Name des OpenID-Anbieters in OpenProject",
  idpTitle: "Identitätsanbieter", idpAsIs: "OpenProject schickt die Tokens der Benutzer unverändert an Nextcloud.",
  idpExchange: "OpenProject tauscht die Tokens der Benutzer vor dem Aufruf von Nextcloud gegen die Zielgruppe „{audience}“.",
  idpTokens: "Tokens der Benutzer",
  handoffTitle: "Ein Schritt von Hand: der OpenID-Anbieter in OpenProject", handoffIntro: "OpenProject hat dafür keine API: Seite öffnen und diese Werte eintragen.",
  handoffName: "Anzeigename", handoffClientId: "Client-ID", handoffSecret: "Client-Geheimnis", handoffScopes: "Scopes",
  handoffCallback: "Weiterleitungs-URI (beim Identitätsanbieter)", handoffExchange: "Grant-Typen: urn:ietf:params:oauth:grant-type:token-exchange einschließen.",
  reveal: "Anzeigen", providerCreate: "In OpenProject anlegen", providerCreateHint: "auf seiner Admin-Seite, mit Ihrer OpenProject-Anmeldung",
  providerWatch: "Darauf warten", providerWatching: "Die Anmeldeseite von OpenProject wird beobachtet…",
  providerSeen: "OpenProject bietet jetzt die Anmeldung über /auth/{slug} an.",
  providerNotSeen: "Noch nicht angeboten: nach dem Speichern den Anbieter noch einmal speichern (OpenProject bietet ihn nach dem Speichern an, das seiner Discovery folgt).",
  doIt: "Auswählen", inAssistant: "In dieser App", remedySetup: "Verbindung einrichten", remedySetupReplacing: "Neu einrichten und Vorhandenes ersetzen",
  remedyAnotherName: "Mit einem anderen Speichernamen einrichten", remedyEnableProjects: "Speicher in Projekten aktivieren (Schritt Projekte)",
  enabledIn: "aktiviert in {project}",
  watchProjects: "Hinzugefügt: darauf warten", stopWatching: "Nicht mehr warten",
  replaceByHand: "Die OpenProject-Seite lässt sich von hier nicht bedienen, daher wurde nichts geändert. Ersetzen Sie die Werte selbst auf der OpenProject-Seite; der Assistent wartet auf die neue Client-ID und nimmt dann das Secret von Ihnen entgegen.",
  openAndWatch: "Seite öffnen und warten", watchingReplace: "Warte auf die neue Client-ID in OpenProject… auf der Seite \"Replace OpenProject OAuth\" wählen.",
  newClientSeen: "OpenProject zeigt die neue Client-ID", pasteSecret: "Das Client-Secret von der Seite einfügen", giveToNextcloud: "Beides an Nextcloud geben",
  signOut: "Abmelden", copy: "Kopieren", copied: "Kopiert ✔", copyFailed: "Bitte von Hand markieren und kopieren",
  expiresIn: "die Anmeldung verfällt nach 20 Minuten",
  folderMode: "Projektordner", folderAutomatic: "Automatisch: OpenProject verwaltet einen Ordner je Projekt",
  folderInactive: "Kein Projektordner", folderManual: "Ein vorhandener Nextcloud-Ordner:",
  folderLinkHint: "sein Link aus der Dateien-App von Nextcloud oder seine Datei-ID", folderLinkInvalid: "Das ist weder ein Nextcloud-Ordnerlink noch eine Datei-ID.",
  search: "Suchen", subProjects: "mit ihren Unterprojekten",
  willRecover: "Eine frühere Einrichtung dieses Paars wurde unterbrochen (in {phase}); das Anwenden rollt sie zuerst auf beiden Servern zurück.",
  interruptedFound: "Eine unterbrochene Einrichtung wurde gefunden: {op} ⇄ {nc} (in {phase}). Bei diesen beiden Servern anmelden: das Anwenden rollt sie zuerst zurück.",
  atTime: "um", phase: "Phase", undoRecorded: "Rücknahme vor der Änderung festgehalten", readBack: "bestätigt über GET /api/v3/project_storages",
};

export type Language = "en" | "de";
export type Key = keyof typeof en;
let language: Language = navigator.language.toLowerCase().startsWith("de") ? "de" : "en";

export function t(key: Key, n?: number, words: Record<string, string> = {}): string {
  let text: string = (language === "de" ? de : en)[key];
  for (const [k, v] of Object.entries(words)) text = text.replace(`{${k}}`, v);
  return n === undefined ? text : text.replace("{n}", String(n));
}

export function setLanguage(l: Language): void {
  language = l;
  document.documentElement.lang = l;
}

export function currentLanguage(): Language {
  return language;
}

// The engine's words (findings, checks, phases, severities, servers) come from its catalogue, in the language
// chosen here, keyed by their codes: the wizard never looks at the English text.
let catalogue: Record<string, string> = {};

export async function loadCatalogue(fetch: (language: Language) => Promise<Record<string, string>>): Promise<void> {
  try {
    catalogue = await fetch(language);
  } catch {
    catalogue = {};
  }
}

/** The catalogue's text for a code's key (`finding-storage_missing`); the key itself until it is loaded. */
export function said(key: string): string {
  return catalogue[key] ?? key;
}
