// Every command of the desktop shell, typed: its name, its arguments and its answer, so a wrong name or a missing
// argument fails the type check instead of the click. `crates/opnc-core/tests` holds this list and the shell's
// `generate_handler!` together.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  ApplyResult, ComparedReport, ConnectionState, DemoServers, DiagnosisView, EnableOutcome, FolderMode, Job, Language, OpenedReport, WatchRound,
  PairSummary, ProjectChoice, ResetKind, ResetOutcome, Review, Server, SetupOptions, SignIn,
} from "./bindings";

export interface Commands {
  check_url: { args: { server: Server; input: string; allowInsecureHttp: boolean }; answer: string };
  set_language: { args: { language: Language }; answer: void };
  start_demo: { args: Record<string, never>; answer: PairSummary };
  sign_in: { args: { request: SignIn }; answer: PairSummary };
  nextcloud_browser_sign_in: { args: { url: string; allowInsecureHttp: boolean; page: Channel<string> }; answer: string };
  cancel_browser_sign_in: { args: Record<string, never>; answer: void };
  open_openproject_tokens: { args: { url: string; allowInsecureHttp: boolean }; answer: void };
  openproject_window_sign_in: { args: { url: string; allowInsecureHttp: boolean }; answer: string };
  cancel_openproject_window: { args: Record<string, never>; answer: void };
  start_demo_servers: { args: Record<string, never>; answer: DemoServers };
  list_projects: { args: Record<string, never>; answer: ProjectChoice[] };
  enable_projects: {
    args: { projectIds: number[]; includeSubProjects: boolean; mode: FolderMode | null };
    answer: EnableOutcome;
  };
  open_page: { args: { url: string }; answer: void };
  interrupted_jobs: { args: Record<string, never>; answer: Job[] };
  sign_out: { args: Record<string, never>; answer: boolean };
  folder_id_from_link: { args: { link: string }; answer: string | null };
  watch_openproject_replace: { args: Record<string, never>; answer: string };
  give_openproject_oauth: { args: { clientId: string; secret: string }; answer: ResetOutcome };
  watch_projects: { args: { projectIds: number[] }; answer: EnableOutcome };
  cancel_watch: { args: Record<string, never>; answer: void };
  review: { args: { options: SetupOptions }; answer: Review };
  demo_identity_provider: { args: Record<string, never>; answer: string | null };
  reveal_handoff_secret: { args: Record<string, never>; answer: string };
  watch_openproject_provider: { args: { slug: string }; answer: boolean };
  create_openproject_provider: { args: Record<string, never>; answer: boolean };
  apply: { args: { progress: Channel<Job> }; answer: ApplyResult };
  cancel_apply: { args: Record<string, never>; answer: void };
  diagnose: { args: Record<string, never>; answer: DiagnosisView };
  test_sign_in: {
    args: { openprojectClientId: string | null; openprojectClientSecret: string | null };
    answer: DiagnosisView;
  };
  export_report: { args: { json: boolean; language: Language }; answer: string | null };
  open_report: { args: Record<string, never>; answer: OpenedReport | null };
  compare_report: { args: Record<string, never>; answer: ComparedReport | null };
  watch_round: { args: Record<string, never>; answer: WatchRound };
  export_bundle: { args: { language: Language }; answer: string | null };
  connection_state: { args: Record<string, never>; answer: ConnectionState };
  reset: { args: { kind: ResetKind }; answer: ResetOutcome };
  delete_connection: { args: Record<string, never>; answer: void };
  demo_fail_next_apply: { args: Record<string, never>; answer: void };
  open_logs_folder: { args: Record<string, never>; answer: string };
}

export type Command = keyof Commands;

/** Calls a command of the shell; a failure rejects with its `ErrorView`. */
export function call<C extends Command>(
  command: C,
  ...args: Commands[C]["args"] extends Record<string, never> ? [] : [Commands[C]["args"]]
): Promise<Commands[C]["answer"]> {
  return invoke<Commands[C]["answer"]>(command, args[0] ?? {});
}
