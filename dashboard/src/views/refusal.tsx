/** What a signed-in user who administers no organization sees. */
import type { OrganizationsAnswer } from "../api/types.ts";

export function Refusal(
  { answer, label, onSignOut }: {
    answer: OrganizationsAnswer;
    label: string;
    onSignOut: () => void;
  },
) {
  return (
    <main className="centered refusal" data-testid="refusal">
      <h1>Not an administrator</h1>
      <p>
        You are signed in as{" "}
        <strong>{label}</strong>, but you are not an owner or admin of any organization, so there is
        nothing here for you to administer.
      </p>
      {answer.organizations.length > 0 && (
        <p>
          You are a member of{" "}
          {answer.organizations.map((org) => org.name).join(", ")}. Ask an owner of the organization
          to make you an admin.
        </p>
      )}
      <button type="button" onClick={onSignOut}>Sign out</button>
    </main>
  );
}
