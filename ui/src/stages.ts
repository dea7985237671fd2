// The setup's stages as data: their order, their labels, and which action the step bar offers in each — so the
// stage logic is tested without a window.
export type Stage = "sign-in" | "review" | "apply" | "done";

export interface StageInfo { id: Stage; label: string }

/** The stages in order, each with the catalogue word (`ui-<label>`) the step bar shows. */
export const STAGES: readonly StageInfo[] = [
  { id: "sign-in", label: "stageSignIn" },
  { id: "review", label: "stageReview" },
  { id: "apply", label: "stageApply" },
  { id: "done", label: "stageProjects" },
];

/** Where a stage stands against the current one. */
export function progress(stage: Stage, current: Stage): "done" | "current" | "later" {
  const order = STAGES.map((s) => s.id);
  const [i, now] = [order.indexOf(stage), order.indexOf(current)];
  return i < now ? "done" : i === now ? "current" : "later";
}

/** What the step bar offers now. */
export type RailAction = "sign_in" | "apply" | "check_again" | "cancel" | "cancel_and_roll_back" | null;

export function railAction(
  current: Stage,
  facts: { hasPlan: boolean; written: boolean },
): RailAction {
  switch (current) {
    case "sign-in":
      return "sign_in";
    case "review":
      return facts.hasPlan ? "apply" : "check_again";
    // Before the first change a cancel costs nothing; after it, the engine rolls both sides back.
    case "apply":
      return facts.written ? "cancel_and_roll_back" : "cancel";
    case "done":
      return null;
    default: {
      const unhandled: never = current;
      return unhandled;
    }
  }
}
