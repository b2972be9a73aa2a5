/**
 * The pages, found by folder: `src/pages/software-library/task-sequences/page.tsx` is the page of
 * the node `/software-library/task-sequences` (and of every path below it). Each is its own chunk,
 * loaded when first shown.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/** What a page is given: the path below its node (`['PS100004']` for /software-library/task-sequences/PS100004). */
export interface PageProps {
  rest: string[];
  /** The node's own path. */
  base: string;
}

type PageModule = { default: ComponentType<PageProps> };

const modules = import.meta.glob<PageModule>('../pages/**/page.tsx');

const pages = new Map<string, LazyExoticComponent<ComponentType<PageProps>>>();
for (const [file, load] of Object.entries(modules)) {
  const path = file.replace(/^\.\.\/pages/, '').replace(/\/page\.tsx$/, '');
  pages.set(path, lazy(load));
}

/** The page of a node's path, when it was built. */
export function pageOf(nodePath: string): LazyExoticComponent<ComponentType<PageProps>> | undefined {
  return pages.get(nodePath);
}
