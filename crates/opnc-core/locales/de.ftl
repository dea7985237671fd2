# Die Worte des Assistenten auf Deutsch. Schlüssel und Platzhalter wie in en.ftl (geprüft in `catalogue.rs`).

## Server
server-open_project = OpenProject
server-nextcloud = Nextcloud
server-identity_provider = Identitätsanbieter

## Schweregrade
severity-blocker = Problem
severity-warning = Warnung
severity-info = Hinweis

## Urteile (die erste Zeile einer Diagnose)
verdict-healthy = In Ordnung: Alle Prüfungen bestanden.
verdict-warnings_only = Funktioniert, mit { $warnings ->
    [one] einer Warnung
   *[other] { $warnings } Warnungen
  }: Nichts ist kaputt.
verdict-problems = Kaputt: { $problems ->
    [one] ein Problem
   *[other] { $problems } Probleme
  } gefunden{ $warnings ->
    [0] {""}
    [one] , dazu eine Warnung
   *[other] , dazu { $warnings } Warnungen
  }.
verdict-could_not_check = Nicht vollständig geprüft: { $not_run ->
    [one] Eine Prüfung konnte
   *[other] { $not_run } Prüfungen konnten
  } nicht laufen, das ist also kein sauberer Befund{ $warnings ->
    [0] {""}
    [one] ; eine Warnung gefunden
   *[other] ; { $warnings } Warnungen gefunden
  }.

## Beschriftungen der Befehlszeile
label-could_not_check = Nicht prüfbar:
label-fix = Abhilfe
label-run = ausführen
label-whole_report = Der ganze Bericht mit den Belegen: --markdown oder --json.

## Prüfungen, die ausfallen können
check-openproject_health_report = OpenProjects eigener Zustandsbericht zum Speicher
check-nextcloud_side = Alles auf der Nextcloud-Seite
check-openproject_admin_checks = Was nur ein OpenProject-Administrator sieht
check-nextcloud_admin_checks = Was nur ein Nextcloud-Administrator sieht
check-storage_drift = Die Einstellungen des Speichers in OpenProject
check-openproject_accepts_nextclouds_secret = Ob OpenProject das OAuth-Geheimnis annimmt, das Nextcloud hat
check-nextcloud_configuration_drift = Nextclouds Einstellungen der OpenProject-Integration
check-openproject_health_checks = OpenProjects Hintergrundprozesse
check-nextcloud_to_openproject = Ob Nextcloud OpenProject erreicht
check-sso_token_accepted = Ob beide Seiten das Token eines Benutzers vom Identitätsanbieter annehmen
check-sso_server_only_settings = SSO-Einstellungen, die nur die Server selbst zeigen

## Einrichtungsphasen
phase-started = Beginn
phase-replace_storage = Den zu ersetzenden Speicher in OpenProject löschen
phase-create_oidc_client = Nextclouds OpenID-Connect-Client für OpenProject anlegen
phase-configure_user_oidc = Nextcloud dem Identitätsanbieter vertrauen lassen
phase-switch_storage = Die Methode des Speichers in OpenProject umstellen
phase-create_storage = Den Dateispeicher in OpenProject anlegen
phase-configure_nextcloud = Die OpenProject-Integration in Nextcloud einrichten
phase-set_nextcloud_client = OpenProject Nextclouds OAuth-Client geben
phase-set_application_password = OpenProject das App-Passwort für Projektordner geben
phase-proof = Die Verbindung von beiden Seiten beweisen
phase-rolling_back = Beide Server zurücksetzen
phase-done = Fertig

## Befunde: je ein kurzer Titel (die Meldung des Befunds nennt die Einzelheiten)
finding-openproject_unreachable = OpenProject ist nicht erreichbar
finding-nextcloud_unreachable = Nextcloud ist nicht erreichbar
finding-openproject_credentials_rejected = OpenProject lehnt die Anmeldung ab
finding-nextcloud_credentials_rejected = Nextcloud lehnt die Anmeldung ab
finding-openproject_not_admin = Kein OpenProject-Administrator
finding-nextcloud_not_admin = Kein Nextcloud-Administrator
finding-openproject_too_old = OpenProject ist zu alt
finding-openproject_without_configured_field = OpenProject sagt nicht, ob der Speicher eingerichtet ist
finding-openproject_needs_storages_module = Projekte brauchen das Modul Dateispeicher
finding-openproject_no_active_project = OpenProject hat kein aktives Projekt
finding-nextcloud_too_old = Nextcloud ist zu alt
finding-nextcloud_maintenance = Nextcloud ist im Wartungsmodus
finding-integration_app_missing = Die App „OpenProject Integration“ ist nicht installiert
finding-integration_app_disabled = Die App „OpenProject Integration“ ist nicht aktiviert
finding-integration_app_too_old = Die App „OpenProject Integration“ ist zu alt
finding-groupfolders_missing = Die App „Team-Ordner“ ist nicht installiert
finding-groupfolders_disabled = Die App „Team-Ordner“ ist nicht aktiviert
finding-groupfolders_too_old = Die App „Team-Ordner“ ist zu alt
finding-authorization_header_stripped = Nextclouds Webserver entfernt den Authorization-Header
finding-nextcloud_cannot_reach_openproject = Nextcloud erreicht OpenProject nicht
finding-openproject_cannot_reach_nextcloud = OpenProject erreicht Nextcloud nicht
finding-nextcloud_reachability_unchecked = Ob Nextcloud OpenProject erreicht, lässt sich nicht abfragen
finding-insecure_http = Unverschlüsseltes HTTP
finding-storage_exists_for_host = OpenProject hat schon einen Speicher für diese Nextcloud
finding-storage_name_taken = Der Speichername ist vergeben
finding-integration_configured_for_this_openproject = Nextcloud hat schon Einstellungen für dieses OpenProject
finding-integration_configured_for_other_openproject = Nextcloud ist mit einem anderen OpenProject verbunden
finding-project_folder_entities_exist = Benutzer und Gruppe der Projektordner gibt es schon
finding-project_folder_group_conflict = Eine Gruppe blockiert die Projektordner
finding-already_configured = Schon verbunden
finding-storage_missing = OpenProject hat keinen Speicher für diese Nextcloud
finding-storage_host_drift = Der Speicher zeigt auf eine andere Nextcloud
finding-openproject_url_mismatch = Nextcloud zeigt auf ein anderes OpenProject
finding-client_id_mismatch = Die beiden Seiten haben verschiedene Client-IDs
finding-nextcloud_client_unknown = Nextcloud kennt OpenProjects Client nicht mehr
finding-openproject_secret_rejected = OpenProject lehnt Nextclouds Client-Geheimnis ab
finding-redirect_uri_mismatch = OpenProject leitet an eine andere Adresse weiter
finding-authentication_method_mismatch = Die beiden Seiten melden verschieden an
finding-integration_incomplete = Nextclouds Integration ist unvollständig
finding-userless_access = Das App-Passwort der Projektordner funktioniert nicht
finding-project_folder_incomplete = Projektordner sind nicht vollständig eingerichtet
finding-host_name_mismatch = OpenProjects Einstellung des Hostnamens weicht ab
finding-terms_of_service = Die App „Nutzungsbedingungen“ steht im Weg
finding-workers_backed_up = OpenProjects Hintergrundprozesse hängen hinterher
finding-storage_in_no_project = Der Speicher ist noch in keinem Projekt
finding-openproject_health_check = OpenProjects Zustandsbericht nennt ein Problem
finding-admin_not_connected_to_nextcloud = Der Administrator ist nicht mit Nextcloud verbunden
finding-sso_openproject_too_old = OpenProject ist zu alt für SSO
finding-sso_enterprise_feature_missing = OpenProject fehlt die Enterprise-Funktion für SSO
finding-sso_integration_too_old = Die App „OpenProject Integration“ ist zu alt für SSO
finding-sso_nextcloud_app_missing = Eine Nextcloud-App für SSO fehlt
finding-sso_discovery_unreachable = Der Identitätsanbieter ist nicht lesbar
finding-sso_discovery_address_invalid = Die Discovery-Adresse ist nicht verwendbar
finding-sso_discovery_invalid = Das Discovery-Dokument ist ungültig
finding-sso_token_exchange_unsupported = Der Identitätsanbieter kann keinen Token-Austausch
finding-sso_provider_unknown = Nextcloud kennt diesen Identitätsanbieter nicht
finding-sso_providers_found = Nextcloud vertraut schon Identitätsanbietern
finding-sso_issuer_port_dropped = Nextclouds Tokens verlieren womöglich den Port des Ausstellers
finding-sso_choice_incomplete = Die SSO-Auswahl ist unvollständig
finding-sso_provider_exists = Diesen Identitätsanbieter gibt es schon
finding-sso_project_folders_too_old = OpenProject ist zu alt für Projektordner mit SSO
finding-sso_password_confirmation_needed = Das Kontopasswort wird gebraucht
finding-sso_bearer_validation_by_hand = Eine Einstellung muss auf dem Nextcloud-Server gesetzt werden
finding-sso_openproject_provider_by_hand = OpenProjects OpenID-Anbieter wird von Hand eingetragen
finding-sso_audience_missing = OpenProjects Speicher hat keine Zielgruppe (Audience)
finding-sso_token_exchange_mismatch = Token-Austausch ist nur auf einer Seite an
finding-sso_targeted_audience_missing = Nextcloud kennt OpenProjects Zielgruppe (Audience) nicht
finding-sso_login_token_not_stored = Nextcloud behält die Anmelde-Tokens der Benutzer nicht
finding-sso_bearer_not_checked = Nextcloud nimmt keine Bearer-Tokens an
finding-sso_project_folder_not_reusable = Der Benutzer der Projektordner lässt sich mit SSO nicht weiterverwenden
finding-sso_oidc_client_missing = Nextclouds OpenID-Client für OpenProject ist weg
finding-sso_token_not_jwt = Die Tokens sind keine JWTs
finding-convert_to_sso = An Ort und Stelle auf SSO umgestellt
finding-convert_to_oauth = An Ort und Stelle zurück auf beidseitiges OAuth umgestellt
finding-sso_not_convertible = Dieses SSO-Paar lässt sich nicht an Ort und Stelle umstellen
finding-sso_openproject_provider_offered = OpenProject bietet den Anbieter schon an
finding-sso_test_sign_in_failed = Die Test-Anmeldung ist gescheitert
finding-sso_token_signature_invalid = Die Signatur des Tokens stimmt nicht
finding-sso_token_issuer_mismatch = Das Token hat einen anderen Aussteller
finding-sso_token_audience_wrong = Das Token ist nicht für OpenProject bestimmt
finding-sso_api_scope_missing = Dem Token fehlt der Scope api_v3
finding-sso_offline_access_missing = Kein Refresh-Token
finding-sso_token_exchange_refused = Der Identitätsanbieter verweigert den Token-Austausch
finding-sso_nextcloud_audience_wrong = Das Token ist nicht für Nextcloud bestimmt
finding-sso_token_refused_by_nextcloud = Nextcloud lehnt das Token des Benutzers ab
finding-sso_token_refused_by_openproject = OpenProject lehnt das Token des Benutzers ab
finding-sso_test_sign_in_passed = Die Test-Anmeldung hat funktioniert

## Das Bild der Verbindung: ihre Verbindungen und wie es um sie steht
link-computer_to_openproject = Dieser Computer → OpenProject
link-computer_to_nextcloud = Dieser Computer → Nextcloud
link-nextcloud_to_openproject = Nextcloud → OpenProject
link-openproject_to_nextcloud = OpenProject → Nextcloud
link-openproject_app_in_nextcloud = OpenProjects OAuth-App, bei Nextcloud hinterlegt
link-nextcloud_client_in_openproject = Nextclouds OAuth-Client, bei OpenProject hinterlegt
link-project_folder_password = Das App-Passwort der Projektordner
link-identity_provider = Der Identitätsanbieter, dem beide vertrauen
linkstatus-good = funktioniert
linkstatus-doubtful = ungeprüft oder mit Warnung
linkstatus-broken = kaputt

## Nachweise (Verwalten): jeder bestanden (-ok) oder nicht (-failed)
proof-openproject_storage_configured-ok = OpenProjects Speicher für diese Nextcloud ist vollständig.
proof-openproject_storage_configured-failed = OpenProjects Speicher für diese Nextcloud ist unvollständig.
proof-openproject_application_password-ok = OpenProject hat das App-Passwort für Projektordner.
proof-openproject_application_password-failed = OpenProject hat kein App-Passwort für Projektordner.
proof-openproject_holds_nextclouds_client-ok = OpenProject hat den OAuth-Client, den Nextcloud dafür ausgestellt hat.
proof-openproject_holds_nextclouds_client-failed = OpenProject hat einen anderen Nextcloud-OAuth-Client als den, den Nextcloud ausgestellt hat.
proof-redirect_uri_openproject-ok = OpenProjects OAuth-Anwendung schickt Benutzer zu dieser Nextcloud zurück.
proof-redirect_uri_openproject-failed = OpenProjects OAuth-Anwendung schickt Benutzer an eine andere Adresse als diese Nextcloud zurück.
proof-openproject_host_name-ok = OpenProjects Einstellung des Hostnamens passt zu der Adresse, unter der es erreicht wird.
proof-openproject_host_name-failed = OpenProjects Einstellung des Hostnamens passt nicht zu der Adresse, unter der es erreicht wird.
proof-nextcloud_integration_complete-ok = Nextclouds OpenProject-Integration ist vollständig eingerichtet.
proof-nextcloud_integration_complete-failed = Nextclouds OpenProject-Integration ist nicht vollständig eingerichtet.
proof-nextcloud_project_folder-ok = Nextclouds Projektordner sind eingerichtet (Benutzer und Gruppe OpenProject, Team-Ordner, App-Passwort).
proof-nextcloud_project_folder-failed = Nextclouds Projektordner sind nicht vollständig eingerichtet.
proof-client_id_openproject_in_nextcloud-ok = Nextcloud hat OpenProjects OAuth-Client-ID.
proof-client_id_openproject_in_nextcloud-failed = Nextcloud hat eine andere OAuth-Client-ID als die von OpenProject.
proof-client_id_nextcloud_in_openproject-ok = Nextcloud kennt den OAuth-Client, den OpenProject verwendet.
proof-client_id_nextcloud_in_openproject-failed = Nextcloud kennt den OAuth-Client nicht, den OpenProject verwendet.
proof-nextcloud_points_at_openproject-ok = Nextclouds Integration zeigt auf dieses OpenProject.
proof-nextcloud_points_at_openproject-failed = Nextclouds Integration zeigt auf eine andere OpenProject-Adresse.
proof-openproject_accepts_nextclouds_secret-ok = OpenProject nimmt das OAuth-Geheimnis an, das Nextcloud hat.
proof-openproject_accepts_nextclouds_secret-failed = OpenProject lehnt das OAuth-Geheimnis ab, das Nextcloud hat.
proof-openproject_storage_sso-ok = OpenProjects Speicher meldet Benutzer über den Identitätsanbieter an.
proof-openproject_storage_sso-failed = OpenProjects Speicher ist nicht wie geplant für SSO eingerichtet.
proof-nextcloud_sso_mode-ok = Nextclouds Integration lässt OpenProjects Anfragen über den Identitätsanbieter zu.
proof-nextcloud_sso_mode-failed = Nextclouds Integration ist nicht im geplanten SSO-Modus.
proof-nextcloud_sso_audience-ok = Nextcloud erwartet die Zielgruppe (Audience), die OpenProjects Tokens tragen.
proof-nextcloud_sso_audience-failed = Nextcloud erwartet eine andere Zielgruppe (Audience), als OpenProjects Tokens tragen.
proof-nextcloud_sso_provider-ok = Nextclouds user_oidc kennt den Identitätsanbieter und nimmt seine Bearer-Tokens an.
proof-nextcloud_sso_provider-failed = Nextclouds user_oidc kennt den Identitätsanbieter nicht oder lehnt seine Bearer-Tokens ab.
proof-nextcloud_store_login_token-ok = Nextclouds user_oidc behält die Anmelde-Tokens der Benutzer.
proof-nextcloud_store_login_token-failed = Nextclouds user_oidc behält die Anmelde-Tokens der Benutzer nicht.
